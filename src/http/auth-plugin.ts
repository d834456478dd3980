/**
 * The request pipeline (SPEC section 5): seven ordered checks in an `onRequest`
 * hook, so they run before any body is read or validated and a refused request
 * never reaches its handler. Routes declare what they need with
 * `config: { scopes: [...] }` (see `guarded`). Every request that names a known
 * key is recorded for usage once the response is sent.
 */
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type KeyRecord, ipAllowed, keyStateOutcome } from '../core/access.js';
import { clientIp } from '../core/client-ip.js';
import { keyDigest, parseKey } from '../core/keys.js';
import { type Decision, rateLimitHeaders } from '../core/limits.js';
import { ApiError } from '../core/problems.js';
import { consumeThen } from '../limiter/limiter.js';
import { type Scope, missingScopes } from '../core/scopes.js';
import type { ServingRuntime } from '../runtime.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Scopes a key must hold for this route (check 7). */
    scopes?: readonly Scope[];
  }
  interface FastifyRequest {
    apiKey: KeyRecord | null;
    rateLimit: Decision | null;
    clientIp: string;
  }
}

const REALM = 'Bearer realm="atender"';
const INVALID_TOKEN = 'Bearer realm="atender", error="invalid_token"';

/** A check that has to wait took the hook's `done` and calls it itself. */
const PENDING = Symbol('pending');
/** What a check comes to: nothing (admitted), the refusal, or PENDING. */
type Outcome = ApiError | undefined | typeof PENDING;
type Done = (error?: Error) => void;

/** Route options for a guarded route: the scope check and its OpenAPI security entry in one. */
export function guarded(scopes: readonly Scope[]) {
  return {
    config: { scopes },
    security: [{ apiKey: [...scopes] }],
  };
}

/**
 * The token of `Authorization: Bearer <token>`: the scheme in any case, exactly
 * one space, then the rest (the rule /^bearer (.*)$/i, which test/http/bearer.test.ts
 * holds this to). By hand: the regex and its match array were the pipeline's largest own cost.
 */
export function bearerToken(header: string): string | null {
  if (header.length < 7 || header.charCodeAt(6) !== 32 || header.slice(0, 6).toLowerCase() !== 'bearer') return null;
  const token = header.slice(7);
  // `.` stops at line terminators; HTTP forbids them in a header, but the rule is the rule.
  return /[\n\r\u2028\u2029]/.test(token) ? null : token;
}

export function registerKeyPipeline(app: FastifyInstance, runtime: ServingRuntime): void {
  const { verifier, limiter, failedAuth, usage, expiryNotices, clock, config } = runtime;
  const routeOf = routeNamer();
  app.decorateRequest('apiKey', null);
  app.decorateRequest('rateLimit', null);
  app.decorateRequest('clientIp', '');

  // Callback style: for a cached key and an in-process limiter every check is
  // synchronous, and the request costs no promise; a cache miss or a remote
  // limiter goes asynchronous from the point where it waits, and then calls
  // `done` itself (the Redis limiter through a callback too: the promises of the
  // limiter, its two wrappers and this hook were five a request). A refusal is
  // returned, not thrown: a throw and its catch cost 0.4 µs more than a return
  // (BENCHMARKS.md, session 7), and a refusal is an answer, not a fault.
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: Done) => {
    let outcome: Outcome;
    try {
      outcome = checkRequest(request, reply, done);
    } catch (error) {
      return refuse(error, done);
    }
    answer(outcome, done);
  });

  /** Answers the hook with an outcome (PENDING: the check that waits answers it). */
  const answer = (outcome: Outcome, done: Done) => {
    if (outcome === PENDING) return;
    if (outcome === undefined) return admit(done);
    refuse(outcome, done);
  };
  /** The same for a check that runs after a wait, a throw included. */
  const settle = (check: () => Outcome, done: Done) => {
    let outcome: Outcome;
    try {
      outcome = check();
    } catch (error) {
      return refuse(error, done);
    }
    answer(outcome, done);
  };
  const admit = (done: Done) => {
    runtime.metrics.authOutcome('ok');
    done();
  };
  const refuse = (error: unknown, done: Done) => {
    runtime.metrics.authOutcome(error instanceof ApiError ? error.code : 'error');
    done(error instanceof Error ? error : new Error(String(error)));
  };

  /** Checks 1-7: the refusal, if any, or PENDING when one of them has to wait (it then calls `done`). */
  const checkRequest = (request: FastifyRequest, reply: FastifyReply, done: Done): Outcome => {
    // Without trusted proxies the answer is the socket's address: worked out once per connection.
    const ip = config.trustProxy.length === 0 ? socketIp(request.socket) : clientIp(request.socket.remoteAddress, header(request, 'x-forwarded-for'), config.trustProxy);
    request.clientIp = ip;
    const authorization = request.headers.authorization;
    // 1. present
    if (authorization === undefined) return new ApiError('missing_api_key', 'send the key as `Authorization: Bearer <key>`', {}, { 'www-authenticate': REALM });
    // 2. well-formed, checksum valid (no storage touched)
    const token = bearerToken(authorization);
    const now = clock.now();
    if (token === null || parseKey(token) === null) {
      return throttled(failedAuth.fail(ip, now)) ?? new ApiError('malformed_api_key', 'the Authorization header must be `Bearer <key>` with a complete sa_live_/sa_test_ key', {}, { 'www-authenticate': INVALID_TOKEN });
    }
    // 3. known
    const digest = keyDigest(token);
    const cached = verifier.cached(digest, now);
    if (cached === undefined) {
      verifier.lookup(digest).then(
        (key) => settle(() => checkKey(request, reply, key, ip, now, done), done),
        (error: unknown) => refuse(error, done),
      );
      return PENDING;
    }
    return checkKey(request, reply, cached, ip, now, done);
  };

  const checkKey = (request: FastifyRequest, reply: FastifyReply, key: KeyRecord | null, ip: string, now: number, done: Done): Outcome => {
    if (key === null) {
      return throttled(failedAuth.fail(ip, now)) ?? new ApiError('invalid_api_key', 'no such API key', {}, { 'www-authenticate': INVALID_TOKEN });
    }
    request.apiKey = key;
    // 4. revoked, expired, disabled
    const state = keyStateOutcome(key, now);
    if (state === 'api_key_expired') expiryNotices.notice(key, ip);
    if (state !== 'ok') return new ApiError(state, stateDetail(state, key.keyId), {}, { 'www-authenticate': INVALID_TOKEN });
    if (request.is404) return new ApiError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`);
    // 5. IP allowlist
    if (!ipAllowed(key, ip)) return new ApiError('ip_not_allowed', `requests from ${ip} are not allowed for key ${key.keyId}`);
    // 6. budget
    if (limiter.consumeNow) return checkBudget(request, reply, key, limiter.consumeNow(key.keyId, key.limits, now, key));
    const decided = (error: Error | null, decision?: Decision) => (error ? refuse(error, done) : settle(() => checkBudget(request, reply, key, decision!), done));
    consumeThen(limiter, key.keyId, key.limits, now, decided);
    return PENDING;
  };

  const checkBudget = (request: FastifyRequest, reply: FastifyReply, key: KeyRecord, decision: Decision): ApiError | undefined => {
    request.rateLimit = decision;
    reply.headers(rateLimitHeaders(decision));
    if (!decision.allowed) {
      const code = decision.violated === 'day' ? 'daily_quota_exceeded' : 'rate_limited';
      return new ApiError(code, `${decision.violated === 'day' ? 'daily quota' : 'per-minute limit'} of key ${key.keyId} reached; retry after ${decision.retryAfter} s`, { violated_policies: [decision.violated] });
    }
    // 7. scopes
    const required = request.routeOptions.config.scopes ?? [];
    const missing = missingScopes(key.scopes, required);
    if (missing.length > 0) {
      return new ApiError('insufficient_scope', `this endpoint needs ${required.join(' and ')}; the key lacks ${missing.join(', ')}`, { required_scopes: [...required] }, {
        'www-authenticate': `Bearer realm="atender", error="insufficient_scope", scope="${required.join(' ')}"`,
      });
    }
    return undefined;
  };

  // Callback style: nothing here waits, so no promise per request.
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const key = request.apiKey;
    if (!key) return done();
    const route = routeOf(request);
    usage.record({
      keyId: key.keyId,
      secretId: key.secretId,
      ts: clock.now(),
      method: request.method,
      route: route.name,
      requiredScopes: route.scopes,
      status: reply.statusCode,
      latencyMs: reply.elapsedTime,
      ip: request.clientIp,
      holder: key,
    });
    done();
  });
}

/**
 * `GET /v1/knowledge/articles/{id}` and its required scopes, worked out once per
 * route and method (a bounded set: the routes times the HTTP methods).
 */
function routeNamer(): (request: FastifyRequest) => { name: string; scopes: string } {
  const known = new Map<string, { name: string; scopes: string }>();
  return (request) => {
    const template = request.routeOptions.url;
    const id = `${request.method} ${template ?? ''}`;
    let route = known.get(id);
    if (!route) {
      const name = template ? `${request.method} ${template.replace(/:([A-Za-z_]+)/g, '{$1}')}` : `${request.method} (no such route)`;
      route = { name, scopes: template ? (request.routeOptions.config.scopes ?? []).join(' ') : '' };
      known.set(id, route);
    }
    return route;
  };
}

const socketIps = new WeakMap<Socket, string>();

function socketIp(socket: Socket): string {
  let ip = socketIps.get(socket);
  if (ip === undefined) socketIps.set(socket, (ip = clientIp(socket.remoteAddress, undefined, [])));
  return ip;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function throttled(decision: Decision | null): ApiError | null {
  if (!decision) return null;
  return new ApiError('too_many_failed_attempts', `too many failed authentication attempts from this address; retry after ${decision.retryAfter} s`, {}, { 'retry-after': String(decision.retryAfter) });
}

function stateDetail(state: string, keyId: string): string {
  switch (state) {
    case 'api_key_revoked':
      return `key ${keyId} has been revoked (or this secret was rotated out)`;
    case 'api_key_expired':
      return `key ${keyId} has expired`;
    default:
      return `key ${keyId} is disabled`;
  }
}
