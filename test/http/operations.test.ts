import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../../src/core/keys.js';
import { buildApp } from '../../src/http/app.js';
import { openStore } from '../../src/store/db.js';
import { type TestApp, startTestApp } from '../helpers/app.js';
import { sqliteDatabase } from '../helpers/services.js';

/** One sample's value from Prometheus text, by metric name and exact label set. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(',').filter(Boolean);
    if (want.every((w) => have.includes(w)) && have.length === want.length) return Number(match[3]);
  }
  return undefined;
}

describe('operations endpoints', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('/healthz answers while the process is up', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz reports the database, the Redis state and the key feed', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ready', database: 'ok', redis: 'not_configured', key_feed: 'healthy', live_nodes: 1 });
  });

  it('/metrics counts requests by route template, auth outcomes, limiter decisions and cache hits', async () => {
    const key = await t.key({ perMinute: 2 });
    await t.runtime.feed.poll(); // its creation notice (NOTIFY on PostgreSQL) would otherwise cost a re-read at any moment
    for (let i = 0; i < 3; i++) await t.request(key.key, { method: 'GET', url: '/v1/me' });
    await t.request(null, { method: 'GET', url: '/v1/me' });
    await t.request(generateKey('sandbox'), { method: 'GET', url: '/v1/me' });
    await t.request(key.key, { method: 'GET', url: '/v1/knowledge/articles/art_00000000000000000000000000' });

    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    expect(sample(text, 'atender_http_requests_total', { method: 'GET', route: '/v1/me', status: '200' })).toBe(2);
    expect(sample(text, 'atender_http_requests_total', { method: 'GET', route: '/v1/me', status: '429' })).toBe(1);
    expect(sample(text, 'atender_http_requests_total', { method: 'GET', route: '/v1/knowledge/articles/:id', status: '429' })).toBe(1);
    expect(sample(text, 'atender_auth_outcomes_total', { outcome: 'ok' })).toBe(2);
    expect(sample(text, 'atender_auth_outcomes_total', { outcome: 'rate_limited' })).toBe(2);
    expect(sample(text, 'atender_auth_outcomes_total', { outcome: 'missing_api_key' })).toBe(1);
    expect(sample(text, 'atender_auth_outcomes_total', { outcome: 'invalid_api_key' })).toBe(1);
    expect(sample(text, 'atender_limiter_decisions_total', { result: 'allowed', store: 'memory' })).toBe(2);
    expect(sample(text, 'atender_limiter_decisions_total', { result: 'minute', store: 'memory' })).toBe(2);
    // In-process decisions are counted, not timed (timing one would cost more than making it).
    expect(sample(text, 'atender_limiter_latency_seconds_count', { store: 'memory' })).toBeUndefined();
    // Five lookups of two digests: two misses, three hits.
    expect(sample(text, 'atender_key_cache_hits_total')).toBe(3);
    expect(sample(text, 'atender_key_cache_misses_total')).toBe(2);
    expect(sample(text, 'atender_key_cache_hit_ratio')).toBeCloseTo(0.6);
    expect(sample(text, 'atender_redis_degraded')).toBe(0);
    expect(sample(text, 'atender_key_feed_healthy')).toBe(1);
    expect(sample(text, 'atender_usage_buffer_pending')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'atender_usage_dropped_total')).toBe(0);
    expect(sample(text, 'atender_live_nodes')).toBe(1);
    expect(text).not.toContain(key.key);
  });
});

describe('/metrics behind ATENDER_METRICS_TOKEN', () => {
  const token = 'scrape-me-0123456789abcdef';
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ config: { metricsToken: token } });
  });
  afterAll(() => t.close());

  it('answers 401 problem+json without the token or with a wrong one, and the metrics with it', async () => {
    for (const authorization of [undefined, `Bearer ${token.slice(0, -1)}`, `Bearer ${token}x`, token, `bearer  ${token}`]) {
      const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
      expect(res.statusCode, String(authorization)).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="atender-metrics"');
      expect(res.json()).toMatchObject({ code: 'metrics_token_required', status: 401 });
      expect(res.body).not.toContain(token);
    }
    for (const authorization of [`Bearer ${token}`, `bearer ${token}`]) {
      const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization } });
      expect(res.statusCode).toBe(200);
      expect(sample(res.body, 'atender_live_nodes')).toBe(1);
    }
  });

  it('leaves the other operations endpoints open for load balancers', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });
});

describe('/readyz without a database', () => {
  it('answers 503 when the database cannot be reached, while /healthz still answers', async () => {
    const t = await startTestApp();
    // The same serving runtime, its database handle closed underneath it.
    const scratch = await sqliteDatabase.create();
    const dead = await openStore(scratch.url);
    await dead.close();
    const app = await buildApp({ ...t.runtime, store: dead }, { logger: false });
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 'unavailable', database: 'unreachable' });
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
      await t.close();
      await scratch.drop();
    }
  });
});
