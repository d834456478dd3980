/** `GET /v1/me`: who am I, what may I do, how much budget is left. Needs no scope. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { guarded } from '../../http/auth-plugin.js';
import { Me } from '../schemas/me.js';

const open = guarded([]);

export const meRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/me', { config: open.config, schema: { tags: ['Key'], summary: 'The calling key: scopes, tier, limits, remaining budget, tenant', security: open.security, response: { 200: Me } } }, async (request) => {
    const key = request.apiKey!;
    const budget = request.rateLimit!;
    return {
      id: key.keyId,
      name: key.name,
      environment: key.environment,
      scopes: [...key.scopes].sort(),
      tier: key.tier,
      limits: { per_minute: key.limits.perMinute, per_day: key.limits.perDay },
      remaining: { minute: budget.minuteRemaining, day: budget.dayRemaining },
      tenant: { id: key.tenantId, org_id: key.orgId, environment: key.environment },
    };
  });
};
