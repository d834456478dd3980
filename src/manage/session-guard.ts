/**
 * The management plane's door: every `/manage/v1` route (and its 404s) needs a
 * live session cookie, else 401 `session_required`; a mutating call must also
 * come from this server's own origin or carry the session's CSRF token, else
 * 403 `csrf_rejected`. Routes that work without a session (sign-in) say so with
 * `config: { session: false }`; they still refuse a foreign `Origin`, which
 * stops login CSRF from another site.
 */
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientIp, ipInRanges } from '../core/client-ip.js';
import { ApiError } from '../core/problems.js';
import type { Config } from '../config.js';
import { type AdminSessionService, csrfTokenMatches } from '../services/admin-sessions.js';
import type { Actor } from '../store/audit-repo.js';
import type { AdminPrincipal } from './admin-principal.js';

export const SESSION_COOKIE = 'atender_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface ManagementSession {
  id: string;
  token: string;
  expiresAt: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false` for the few management routes that need no session (sign-in). */
    session?: boolean;
  }
  interface FastifyRequest {
    managementSession: ManagementSession | null;
  }
}

/** Over TLS here, or behind a trusted proxy that says the client used https. */
export function requestIsSecure(request: FastifyRequest, config: Config): boolean {
  if ((request.socket as TLSSocket).encrypted) return true;
  const proto = request.headers['x-forwarded-proto'];
  const first = (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https' && ipInRanges(request.socket.remoteAddress, config.trustProxy);
}

function ownOrigin(request: FastifyRequest, config: Config): string | null {
  const host = request.headers.host;
  return host ? `${requestIsSecure(request, config) ? 'https' : 'http'}://${host.toLowerCase()}` : null;
}

function originMatches(request: FastifyRequest, config: Config): boolean {
  const origin = request.headers.origin;
  return origin !== undefined && origin.toLowerCase() === ownOrigin(request, config);
}

/** The audit actor for a change made by the signed-in admin. */
export function adminActor(request: FastifyRequest): Actor {
  return { type: 'admin', id: signedIn(request).adminId, ip: request.clientIp };
}

export function signedIn(request: FastifyRequest): AdminPrincipal {
  if (!request.admin) throw new ApiError('session_required', 'sign in first');
  return request.admin;
}

export function registerSessionGuard(app: FastifyInstance, sessions: AdminSessionService, config: Config): void {
  app.decorateRequest('admin', null);
  app.decorateRequest('managementSession', null);
  app.decorateRequest('clientIp', '');

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const forwarded = request.headers['x-forwarded-for'];
    request.clientIp = clientIp(request.socket.remoteAddress, Array.isArray(forwarded) ? forwarded.join(',') : forwarded, config.trustProxy);
    reply.header('cache-control', 'no-store');
    if (request.routeOptions.config.session === false) {
      if (request.headers.origin !== undefined && !originMatches(request, config)) throw csrfRejected();
      return;
    }
    const token = request.cookies[SESSION_COOKIE];
    const session = token ? await sessions.authenticate(token) : null;
    if (!session || !token) throw new ApiError('session_required', token ? 'the session has ended; sign in again' : 'sign in with POST /manage/v1/session first');
    request.admin = session.principal;
    request.managementSession = { id: session.sessionId, token, expiresAt: session.expiresAt };
    if (SAFE_METHODS.has(request.method)) return;
    const presented = request.headers[CSRF_HEADER];
    const tokenOk = typeof presented === 'string' && csrfTokenMatches(token, presented);
    if (!tokenOk && !originMatches(request, config)) throw csrfRejected();
  });
}

function csrfRejected(): ApiError {
  return new ApiError('csrf_rejected', `a mutating management call needs an Origin header matching this server, or the session's ${CSRF_HEADER} header`);
}
