/**
 * `GET /manage/v1/api-keys/{id}/usage?since=`: the same object as
 * `atender keys usage --json` (SPEC sections 7 and 8), for the admin's own keys
 * only. `since` is a duration back from now (`24h`, `7d`) or an ISO-8601 time.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParam, Timestamp } from '../api/schemas/common.js';
import type { Clock } from '../core/clock.js';
import { parseDuration } from '../core/durations.js';
import { ApiError } from '../core/problems.js';
import type { KeyService } from '../services/keys.js';
import type { Store } from '../store/db.js';
import { keyUsage, specUsage } from '../usage/queries.js';
import { signedIn } from './session-guard.js';
import { SESSION_SECURITY } from './session-routes.js';

const Count = Type.Integer({ minimum: 0 });
const Nullable = <T extends ReturnType<typeof Type.Number>>(t: T) => Type.Union([t, Type.Null()]);

const StatusClasses = Type.Object({ '2xx': Count, '3xx': Count, '4xx': Count, '5xx': Count });

export const KeyUsage = Type.Object({
  key_id: Type.String(),
  since: Timestamp,
  total: Count,
  by_status: StatusClasses,
  rate_limited: Type.Integer({ minimum: 0, description: '429 answers (per-minute limit or daily quota)' }),
  routes: Type.Array(Type.Object({ route: Type.String(), count: Count }), { description: 'Most used first' }),
  series: Type.Array(Type.Object({ t: Timestamp, count: Count, by_status: Type.Optional(StatusClasses), rate_limited: Type.Optional(Count) }), {
    description: 'One point per `interval`, oldest first, zeros included (with `detail=true`: status classes and 429s per point)',
  }),
  unused_scopes: Type.Array(Type.String(), { description: 'Granted scopes no request in the window needed (least-privilege hint)' }),
  until: Type.Optional(Timestamp),
  interval: Type.Optional(Type.Union([Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')])),
  resolution: Type.Optional(Type.Union([Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')], { description: 'The rollups the window is counted from; its first minute, hour or day is counted whole' })),
  latency_ms: Type.Optional(Type.Object({ p50: Nullable(Type.Number()), p95: Nullable(Type.Number()), p99: Nullable(Type.Number()) })),
  last_used_at: Type.Optional(Type.Union([Timestamp, Type.Null()])),
  secrets: Type.Optional(Type.Array(Type.Object({ id: Type.String(), hint: Type.String(), last_used_at: Type.Union([Timestamp, Type.Null()]) }))),
});

const UsageQuery = Type.Object(
  {
    since: Type.String({ default: '24h', maxLength: 40, description: 'How far back: a duration like `1h`, `24h`, `7d` (at most 366d), or an ISO-8601 time' }),
    detail: Type.Boolean({ default: false, description: 'Add latency percentiles, per-secret last use and status classes per point (the dashboard uses it); without it the answer is exactly `keys usage --json`' }),
  },
  { additionalProperties: false },
);

function sinceMs(since: string, now: number): number {
  const span = parseDuration(since);
  if (span !== null) return now - span;
  const at = /^\d{4}-\d{2}-\d{2}T/.test(since) ? Date.parse(since) : Number.NaN;
  if (Number.isNaN(at)) throw new ApiError('invalid_request', `since must be a duration like 24h or an ISO-8601 time, got "${since}"`, { errors: [{ path: 'querystring.since', message: 'is not a duration or an ISO-8601 time' }] });
  return at;
}

export function usageRoutes(keys: KeyService, store: Store, clock: Clock): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api-keys/:id/usage',
      { schema: { tags: ['Management: API keys'], summary: "A key's usage: totals, status classes, 429s, top routes, a time series, unused scopes", security: SESSION_SECURITY, params: IdParam('key'), querystring: UsageQuery, response: { 200: KeyUsage } } },
      async (request) => {
        const key = await keys.require(request.params.id, signedIn(request).orgId);
        const now = clock.now();
        const usage = await keyUsage(store.db, key.id, sinceMs(request.query.since, now), now);
        return request.query.detail ? usage : specUsage(usage);
      },
    );
  };
}
