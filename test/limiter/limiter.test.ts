/** Rate limits over the real pipeline (SPEC section 4): exact bursts, the day quota, headers, what counts. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, type TestApp, startTestApp } from '../helpers/app.js';

const me = { method: 'GET', url: '/v1/me' } as const;
const RATE_HEADERS = ['ratelimit-policy', 'ratelimit', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];

describe('rate limits', () => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await startTestApp({ clock });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => t.close());

  it('a burst of 100 concurrent requests over HTTP at 30/min admits exactly 30', async () => {
    const key = await t.key({ perMinute: 30 });
    const responses = await Promise.all(Array.from({ length: 100 }, () => fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${key.key}` } })));
    const ok = responses.filter((r) => r.status === 200);
    const limited = responses.filter((r) => r.status === 429);
    expect(ok).toHaveLength(30);
    expect(limited).toHaveLength(70);
    for (const res of limited) {
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ status: 429, code: 'rate_limited', violated_policies: ['minute'] });
    }
    for (const res of ok) await res.body?.cancel();
  });

  it('a 429 takes no token: after the refusals, one refill interval admits exactly one', async () => {
    const key = await t.key({ perMinute: 30 });
    for (let i = 0; i < 30; i++) expect((await t.request(key.key, me)).statusCode).toBe(200);
    for (let i = 0; i < 20; i++) expect((await t.request(key.key, me)).statusCode).toBe(429);
    const refused = await t.request(key.key, me);
    expect(refused.headers['retry-after']).toBe('2'); // one token per 2 s at 30/min
    clock.advance(2_000);
    expect((await t.request(key.key, me)).statusCode).toBe(200);
    expect((await t.request(key.key, me)).statusCode).toBe(429);
  });

  it('the daily quota: daily_quota_exceeded until 00:00 UTC, then a fresh day', async () => {
    clock.set(Date.UTC(2026, 5, 1, 23, 59, 0));
    const key = await t.key({ perMinute: 1_000, perDay: 3 });
    for (let i = 0; i < 3; i++) expect((await t.request(key.key, me)).statusCode).toBe(200);
    const res = await t.request(key.key, me);
    expect(res.statusCode).toBe(429);
    expect(res.json()).toMatchObject({ code: 'daily_quota_exceeded', violated_policies: ['day'] });
    expect(res.headers['retry-after']).toBe('60');
    expect(res.headers.ratelimit).toBe('"day";r=0;t=60');
    clock.set(Date.UTC(2026, 5, 1, 23, 59, 59, 999));
    expect((await t.request(key.key, me)).json().code).toBe('daily_quota_exceeded');
    clock.set(Date.UTC(2026, 5, 2, 0, 0, 0));
    const fresh = await t.request(key.key, me);
    expect(fresh.statusCode).toBe(200);
    expect(fresh.json().remaining.day).toBe(2);
  });

  it('every response that reached check 6 carries the RateLimit fields: 200, 400, 403 and 404 from a handler', async () => {
    const key = await t.key({ scopes: ['knowledge:read'], tier: 'free' });
    const cases = [
      { req: me, status: 200 },
      { req: { method: 'GET', url: '/v1/knowledge/articles?limit=500' } as const, status: 400 },
      { req: { method: 'POST', url: '/v1/knowledge/articles', payload: { title: 'x', body: 'y' } } as const, status: 403 },
      { req: { method: 'GET', url: '/v1/knowledge/articles/art_00000000000000000000000000' } as const, status: 404 },
    ];
    let expectedRemaining = 59;
    for (const { req, status } of cases) {
      const res = await t.request(key.key, req);
      expect(res.statusCode).toBe(status);
      for (const h of RATE_HEADERS) expect(res.headers[h], `${status} ${h}`).toBeDefined();
      expect(res.headers['ratelimit-policy']).toBe('"minute";q=60;w=60, "day";q=10000;w=86400');
      expect(res.headers['x-ratelimit-limit']).toBe('60');
      expect(res.headers['x-ratelimit-remaining']).toBe(String(expectedRemaining--));
      const t_ = /^"minute";r=(\d+);t=(\d+)$/.exec(String(res.headers.ratelimit))!;
      expect(t_[1]).toBe(res.headers['x-ratelimit-remaining']);
      expect(t_[2]).toBe(res.headers['x-ratelimit-reset']);
      expect(res.headers['retry-after']).toBeUndefined();
    }
  });

  it('requests refused for scope count against the budget', async () => {
    const key = await t.key({ scopes: [], perMinute: 3 });
    const write = { method: 'POST', url: '/v1/knowledge/articles', payload: { title: 'x', body: 'y' } } as const;
    for (let i = 0; i < 3; i++) expect((await t.request(key.key, write)).json().code).toBe('insufficient_scope');
    expect((await t.request(key.key, me)).json().code).toBe('rate_limited');
  });

  it('requests refused at checks 1-5 take nothing and carry no RateLimit fields', async () => {
    const allowlisted = await t.key({ perMinute: 5, allowedIps: ['10.0.0.0/8'] });
    for (let i = 0; i < 10; i++) {
      const res = await t.request(allowlisted.key, { ...me, remoteAddress: '192.0.2.1' });
      expect(res.json().code).toBe('ip_not_allowed');
      for (const h of RATE_HEADERS) expect(res.headers[h]).toBeUndefined();
    }
    expect((await t.request(allowlisted.key, { ...me, remoteAddress: '10.0.0.1' })).headers['x-ratelimit-remaining']).toBe('4');

    const disabled = await t.key({ perMinute: 5 });
    await t.runtime.keys.update(disabled.id, { active: false }, { type: 'operator', id: 't', ip: null });
    for (let i = 0; i < 10; i++) {
      const res = await t.request(disabled.key, me);
      expect(res.json().code).toBe('api_key_disabled');
      expect(res.headers['x-ratelimit-remaining']).toBeUndefined();
    }
    await t.runtime.keys.update(disabled.id, { active: true }, { type: 'operator', id: 't', ip: null });
    // An unknown /v1 route is answered after check 4, so it takes nothing either.
    for (let i = 0; i < 10; i++) {
      const res = await t.request(disabled.key, { method: 'GET', url: '/v1/no-such-thing' });
      expect(res.statusCode).toBe(404);
      expect(res.headers['x-ratelimit-remaining']).toBeUndefined();
    }
    expect((await t.request(disabled.key, me)).headers['x-ratelimit-remaining']).toBe('4');
  });

  it('GET /v1/me reports the limits and the remaining budget', async () => {
    const key = await t.key({ tier: 'premium', perDay: 500 });
    await t.request(key.key, me);
    const body = (await t.request(key.key, me)).json();
    expect(body).toMatchObject({ tier: 'premium', limits: { per_minute: 3000, per_day: 500 }, remaining: { minute: 2998, day: 498 } });
  });
});
