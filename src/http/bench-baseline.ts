/**
 * `GET /bench/baseline` (mounted only with ATENDER_BENCH_BASELINE=1, never in
 * production): the `/v1/me` handler and response schema without the key
 * pipeline, so `npm run bench` can show what the pipeline itself costs. The
 * record mirrors the bench key (same id lengths, name, scopes and limits), so
 * both routes send bodies of the same shape and size.
 */
import type { FastifyInstance } from 'fastify';
import { Me } from '../api/schemas/me.js';
import { meBody } from '../api/v1/me.js';
import type { KeyRecord } from '../core/access.js';
import type { Decision } from '../core/limits.js';

export const BENCH_KEY = { name: 'bench', scopes: ['knowledge:read'], tier: 'enterprise', perMinute: 1_000_000_000, perDay: 1_000_000_000 } as const;

const id = (prefix: string) => `${prefix}_${'0'.repeat(26)}`;
const limits = { perMinute: BENCH_KEY.perMinute, perDay: BENCH_KEY.perDay };

const record: KeyRecord = {
  keyId: id('key'),
  orgId: id('org'),
  tenantId: id('ten'),
  environment: 'sandbox',
  name: BENCH_KEY.name,
  scopes: new Set(BENCH_KEY.scopes),
  tier: BENCH_KEY.tier,
  limits,
  active: true,
  expiresAt: null,
  revokedAt: null,
  allowedIps: [],
  secretId: id('sec'),
  secretRetiresAt: null,
  limiterState: undefined,
  heldUse: undefined,
};

// Nine-digit remainders, as the bench key shows once it has served a few requests.
const decision: Decision = { allowed: true, violated: null, limits, minuteRemaining: 999_999_999, minuteReset: 1, dayRemaining: 999_999_999, dayReset: 1, retryAfter: 0 };

export function registerBenchBaseline(app: FastifyInstance): void {
  app.get('/bench/baseline', { schema: { hide: true, response: { 200: Me } } }, async () => meBody(record, decision));
}
