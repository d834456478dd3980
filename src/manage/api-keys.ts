/**
 * `/manage/v1/api-keys`: the org admin's view of the key lifecycle. Every rule
 * (tier ceiling, no limit overrides for admins, revoked keys stay revoked)
 * lives in KeyService; this module maps HTTP onto it, always scoped to the
 * signed-in admin's org, so another org's key id answers 404.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParam } from '../api/schemas/common.js';
import type { KeyPatch, KeyService } from '../services/keys.js';
import { ApiKey, CreateKeyBody, CreatedApiKey, KeyList, KeyListQuery, PatchKeyBody, RotateBody } from './schemas.js';
import { adminActor, signedIn } from './session-guard.js';
import { SESSION_SECURITY } from './session-routes.js';

const tags = ['Management: API keys'];
const security = SESSION_SECURITY;
const KeyId = IdParam('key');
const toMs = (iso: string | null | undefined) => (iso === undefined ? undefined : iso === null ? null : Date.parse(iso));

export function apiKeyRoutes(keys: KeyService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/api-keys', { schema: { tags, summary: "List the org's keys, newest first", security, querystring: KeyListQuery, response: { 200: KeyList } } }, async (request) => ({
      data: await keys.list(signedIn(request).orgId, request.query.environment || undefined),
    }));

    app.post('/api-keys', { schema: { tags, summary: 'Create a key: 201 with the full key, shown only in this answer', security, body: CreateKeyBody, response: { 201: CreatedApiKey } } }, async (request, reply) => {
      const body = request.body;
      const created = await keys.create(
        {
          orgId: signedIn(request).orgId,
          environment: body.environment,
          name: body.name,
          scopes: body.scopes,
          tier: body.tier,
          perMinute: body.limits?.per_minute,
          perDay: body.limits?.per_day,
          expiresAt: toMs(body.expires_at),
          allowedIps: body.allowed_ips,
        },
        adminActor(request),
      );
      return reply.code(201).send(created);
    });

    app.get('/api-keys/:id', { schema: { tags, summary: 'Inspect a key (never its secret)', security, params: KeyId, response: { 200: ApiKey } } }, async (request) =>
      keys.require(request.params.id, signedIn(request).orgId),
    );

    app.patch('/api-keys/:id', { schema: { tags, summary: 'Change name, scopes, tier, expiry, allowlist or `active` (disable/enable)', security, params: KeyId, body: PatchKeyBody, response: { 200: ApiKey } } }, async (request) => {
      const body = request.body;
      const patch: KeyPatch = {};
      if (body.name !== undefined) patch.name = body.name;
      if (body.scopes !== undefined) patch.scopes = body.scopes;
      if (body.tier !== undefined) patch.tier = body.tier;
      if (body.active !== undefined) patch.active = body.active;
      if (body.allowed_ips !== undefined) patch.allowedIps = body.allowed_ips;
      if (body.expires_at !== undefined) patch.expiresAt = toMs(body.expires_at)!;
      if (body.limits?.per_minute !== undefined) patch.perMinute = body.limits.per_minute;
      if (body.limits?.per_day !== undefined) patch.perDay = body.limits.per_day;
      return keys.update(request.params.id, patch, adminActor(request), signedIn(request).orgId);
    });

    app.post(
      '/api-keys/:id/rotate',
      {
        schema: { tags, summary: 'Replace the secret: 201 with the new full key, shown only here; the old one works for the grace period', security, params: KeyId, body: RotateBody, response: { 201: CreatedApiKey } },
        // No body at all means the default grace of 0, as on the command line.
        preValidation: async (request) => {
          request.body ??= { grace_period_seconds: 0 };
        },
      },
      async (request, reply) => {
        const rotated = await keys.rotate(request.params.id, request.body.grace_period_seconds * 1000, adminActor(request), signedIn(request).orgId);
        return reply.code(201).send(rotated);
      },
    );

    app.post('/api-keys/:id/end-grace', { schema: { tags, summary: 'End a rotation grace now: the old secret stops working at once', security, params: KeyId, response: { 200: ApiKey } } }, async (request) =>
      keys.endGrace(request.params.id, adminActor(request), signedIn(request).orgId),
    );

    app.post('/api-keys/:id/revoke', { schema: { tags, summary: 'Revoke a key for good (every secret stops working)', security, params: KeyId, response: { 200: ApiKey } } }, async (request) =>
      keys.revoke(request.params.id, adminActor(request), signedIn(request).orgId),
    );
  };
}
