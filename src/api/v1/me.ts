/** `GET /v1/me`: who am I, what may I do, how much budget is left. Needs no scope. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static } from '@sinclair/typebox';
import type { KeyRecord } from '../../core/access.js';
import type { Decision } from '../../core/limits.js';
import { guarded } from '../../http/auth-plugin.js';
import { Me } from '../schemas/me.js';

const open = guarded([]);

/** The body of `GET /v1/me` (also the bench baseline's, so both serialise the same shape). */
export function meBody(key: KeyRecord, budget: Decision): Static<typeof Me> {
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
}

export const meRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/me', { config: open.config, schema: { tags: ['Key'], summary: 'The calling key: scopes, tier, limits, remaining budget, tenant', security: open.security, response: { 200: Me } } }, async (request) => meBody(request.apiKey!, request.rateLimit!));
};
