/**
 * What operators and load balancers use: `/healthz` (the process answers),
 * `/readyz` (the database answers; Redis and key-feed state reported), Prometheus
 * `/metrics` (behind a bearer token when ATENDER_METRICS_TOKEN is set), a request counter by route template, and one log line per
 * Redis or LISTEN transition.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { ApiError } from '../core/problems.js';
import { bearerToken } from './auth-plugin.js';
import type { ServingRuntime } from '../runtime.js';

const READY_DB_TIMEOUT_MS = 1_000;

export function registerOperations(app: FastifyInstance, runtime: ServingRuntime): void {
  const { metrics, fallback, listener, store, feed, clock } = runtime;

  app.addHook('onResponse', (request, reply, done) => {
    metrics.request(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  fallback?.onTransition((degraded, reason) => {
    if (degraded) app.log.warn({ reason }, 'redis unreachable: serving rate limits from the capped local share (limit / N per node)');
    else app.log.info('redis reachable again: back on the shared rate-limit budget');
  });
  listener?.onTransition((listening, reason) => {
    if (listening) app.log.info('key change LISTEN connection up');
    else app.log.warn({ reason }, 'key change LISTEN connection lost: cached keys are re-confirmed from the database after 1 s');
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const database = await reachable(store.db);
    const limiter = runtime.limiter.status();
    const body = {
      status: database ? 'ready' : 'unavailable',
      database: database ? 'ok' : 'unreachable',
      redis: limiter.store !== 'redis' ? 'not_configured' : limiter.degraded ? 'degraded' : 'ok',
      key_feed: feed.healthy(clock.now()) ? 'healthy' : 'unhealthy',
      live_nodes: runtime.heartbeat.liveNodes,
    };
    return reply.code(database ? 200 : 503).send(body);
  });

  const allowed = metricsAccess(runtime.config.metricsToken);
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (!allowed(request.headers.authorization)) {
      throw new ApiError('metrics_token_required', 'send `Authorization: Bearer <ATENDER_METRICS_TOKEN>`', {}, { 'www-authenticate': 'Bearer realm="atender-metrics"' });
    }
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}

/**
 * Whether an Authorization header opens /metrics: always without a token, else
 * `Bearer <token>` (the scheme read as for API keys). Digests of equal length are
 * compared in constant time, so the answer's timing says nothing about how much
 * of a guess was right.
 */
export function metricsAccess(token: string | null): (authorization: string | undefined) => boolean {
  if (token === null) return () => true;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  const expected = digest(token);
  return (authorization) => {
    const given = authorization === undefined ? null : bearerToken(authorization);
    return given !== null && timingSafeEqual(digest(given), expected);
  };
}

async function reachable(db: ServingRuntime['store']['db']): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), READY_DB_TIMEOUT_MS)));
  const query = sql`select 1`.execute(db).then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
