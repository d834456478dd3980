/** `POST`/`GET`/`DELETE /manage/v1/session`: sign in, who am I, sign out. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Config } from '../config.js';
import { ApiError } from '../core/problems.js';
import { type AdminSessionService, SESSION_ABSOLUTE_MS, csrfTokenFor } from '../services/admin-sessions.js';
import type { Store } from '../store/db.js';
import { SessionInfo, SignInBody } from './schemas.js';
import { CSRF_HEADER, SESSION_COOKIE, requestIsSecure, signedIn } from './session-guard.js';

export const SESSION_SECURITY = [{ session: [] }];
const tags = ['Management: session'];
const COOKIE_PATH = '/manage';

export function sessionRoutes(sessions: AdminSessionService, store: Store, config: Config): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/session',
      {
        config: { session: false },
        schema: {
          tags,
          summary: 'Sign in as an org admin: 204 and an HttpOnly, SameSite=Strict session cookie',
          description: 'Failed sign-ins are throttled per account (10 per 15 min) and per client address (30 per 15 min): 429 with Retry-After. The CSRF token is also returned in the X-CSRF-Token response header.',
          body: SignInBody,
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        const signed = await sessions.signIn(request.body.email, request.body.password, request.clientIp);
        reply.setCookie(SESSION_COOKIE, signed.token, {
          path: COOKIE_PATH,
          httpOnly: true,
          sameSite: 'strict',
          secure: requestIsSecure(request, config),
          maxAge: SESSION_ABSOLUTE_MS / 1000,
        });
        reply.header(CSRF_HEADER, signed.csrfToken);
        return reply.code(204).send(null);
      },
    );

    app.get('/session', { schema: { tags, summary: 'The signed-in admin, their org and the CSRF token', security: SESSION_SECURITY, response: { 200: SessionInfo } } }, async (request) => {
      const admin = signedIn(request);
      const session = request.managementSession!;
      const org = await store.db.selectFrom('orgs').select(['id', 'slug', 'name', 'max_tier']).where('id', '=', admin.orgId).executeTakeFirst();
      if (!org) throw new ApiError('session_required', 'the org of this session no longer exists');
      return {
        admin: { id: admin.adminId, email: admin.email },
        org,
        csrf_token: csrfTokenFor(session.token),
        expires_at: new Date(session.expiresAt).toISOString(),
      };
    });

    app.delete('/session', { schema: { tags, summary: 'Sign out: ends the session on the server and clears the cookie', security: SESSION_SECURITY, response: { 204: Type.Null() } } }, async (request, reply) => {
      await sessions.signOut(request.managementSession!.id);
      reply.clearCookie(SESSION_COOKIE, { path: COOKIE_PATH, httpOnly: true, sameSite: 'strict', secure: requestIsSecure(request, config) });
      return reply.code(204).send(null);
    });
  };
}
