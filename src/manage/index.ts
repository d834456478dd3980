/**
 * The management plane (SPEC section 8), encapsulated under `/manage/v1`: the
 * session guard runs first for every route registered here (and for this
 * prefix's 404s), then each module reads `request.admin`. Add new management
 * route modules (webhook endpoints, ...) to this function.
 */
import cookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../core/problems.js';
import type { ServingRuntime } from '../runtime.js';
import { AdminSessionService } from '../services/admin-sessions.js';
import { apiKeyRoutes } from './api-keys.js';
import { auditRoutes } from './audit.js';
import { registerSessionGuard } from './session-guard.js';
import { sessionRoutes } from './session-routes.js';
import { usageRoutes } from './usage.js';
import { webhookEndpointRoutes } from './webhook-endpoints.js';

export const MANAGE_PREFIX = '/manage/v1';

export async function registerManage(app: FastifyInstance, runtime: ServingRuntime): Promise<void> {
  const sessions = new AdminSessionService(runtime.store, runtime.clock);
  await app.register(
    async (manage) => {
      await manage.register(cookie);
      registerSessionGuard(manage, sessions, runtime.config);
      manage.setNotFoundHandler(async (request) => {
        // Reached only with a live session: the guard answers 401 first.
        throw new ApiError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`);
      });
      await manage.register(sessionRoutes(sessions, runtime.store, runtime.config));
      await manage.register(apiKeyRoutes(runtime.keys));
      await manage.register(usageRoutes(runtime.keys, runtime.store, runtime.clock));
      await manage.register(auditRoutes(runtime.store));
      await manage.register(webhookEndpointRoutes(runtime.webhooks));
    },
    { prefix: MANAGE_PREFIX },
  );
}
