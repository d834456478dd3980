import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, type TestApp, startTestApp } from '../helpers/app.js';
import { type AdminClient, signIn } from '../helpers/admin.js';

describe('GET /manage/v1/api-keys/{id}/usage (SPEC section 8: the object of `keys usage --json`)', () => {
  let t: TestApp;
  let admin: AdminClient;
  const clock = new ManualClock(Date.UTC(2026, 6, 1, 10, 30));
  beforeAll(async () => {
    t = await startTestApp({ clock });
    admin = await signIn(t);
  });
  afterAll(() => t.close());

  const usage = async (keyId: string, query = '') => {
    await t.runtime.usage.flush();
    return admin.call({ method: 'GET', url: `/manage/v1/api-keys/${keyId}/usage${query}` });
  };

  it('counts requests by status class, 429s, top routes and unused scopes', async () => {
    const key = await t.key({ scopes: ['knowledge:read', 'contacts:read'], tier: 'free' });
    for (let i = 0; i < 3; i++) expect((await t.request(key.key, { method: 'GET', url: '/v1/knowledge/articles' })).statusCode).toBe(200);
    // The free tier's 60 per minute: 57 more pass, then 429s.
    for (let i = 0; i < 62; i++) await t.request(key.key, { method: 'GET', url: '/v1/me' });
    const res = await usage(key.id);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ key_id: key.id, total: 65, by_status: { '2xx': 60, '3xx': 0, '4xx': 5, '5xx': 0 }, rate_limited: 5, unused_scopes: ['contacts:read'] });
    // By default exactly the object of `keys usage --json` (SPEC 7), nothing more.
    expect(Object.keys(body).sort()).toEqual(['by_status', 'key_id', 'rate_limited', 'routes', 'series', 'since', 'total', 'unused_scopes']);
    expect(Object.keys(body.series[0]).sort()).toEqual(['count', 't']);
    expect(body.routes).toEqual([
      { route: 'GET /v1/me', count: 62 },
      { route: 'GET /v1/knowledge/articles', count: 3 },
    ]);
    expect(body.series.reduce((sum: number, p: { count: number }) => sum + p.count, 0)).toBe(65);
    expect(Date.parse(body.since)).toBe(clock.now() - 86_400_000);

    // The dashboard's detail: status classes and 429s per point, latency, per-secret last use.
    const detail = (await usage(key.id, '?detail=true')).json();
    expect(detail).toMatchObject({ interval: 'hour', resolution: 'minute', latency_ms: { p50: expect.any(Number) } });
    const busiest = detail.series.find((p: { count: number }) => p.count === 65);
    expect(busiest).toMatchObject({ by_status: { '2xx': 60, '4xx': 5 }, rate_limited: 5 });
    expect(detail.secrets).toHaveLength(1);
  });

  it('takes since as a duration or an ISO time; anything else is 400', async () => {
    const key = await t.key();
    expect((await usage(key.id, '?since=1h&detail=true')).json().interval).toBe('minute');
    expect((await usage(key.id, '?since=7d&detail=true')).json().interval).toBe('hour');
    const at = new Date(clock.now() - 3 * 3_600_000).toISOString();
    expect((await usage(key.id, `?since=${at}`)).json().since).toBe(at);
    for (const bad of ['yesterday', '400d', new Date(clock.now() + 60_000).toISOString()]) {
      const res = await usage(key.id, `?since=${encodeURIComponent(bad)}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().code).toBe('invalid_request');
    }
  });

  it("another org's key is 404 and no session is 401", async () => {
    const other = await t.runtime.orgs.create('Other org');
    const theirs = await t.runtime.keys.create({ orgId: other.org.id, environment: 'sandbox', name: 'theirs', scopes: [] }, { type: 'operator', id: 't', ip: null });
    const res = await usage(theirs.id);
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('theirs');
    expect((await t.app.inject({ method: 'GET', url: `/manage/v1/api-keys/${theirs.id}/usage` })).json().code).toBe('session_required');
  });
});
