/** Usage as recorded by the pipeline: every request naming a known key, whatever its answer. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR } from '../../src/store/audit-repo.js';
import { keyUsage } from '../../src/usage/queries.js';
import { ManualClock, type TestApp, startTestApp } from '../helpers/app.js';
import { readUsageEvents } from '../../src/usage/event-blocks.js';

const HOUR = 3_600_000;

describe('usage recorded by the pipeline', () => {
  let t: TestApp;
  const clock = new ManualClock(Date.UTC(2026, 6, 1, 10, 30));
  beforeAll(async () => {
    t = await startTestApp({ clock });
  });
  afterAll(() => t.close());

  const usageOf = async (keyId: string) => {
    await t.runtime.usage.flush();
    return keyUsage(t.runtime.store.db, keyId, clock.now() - HOUR, clock.now());
  };

  it('a burst gives the exact 2xx/4xx/429 split, routes by template, and the unused scopes', async () => {
    const key = await t.key({ tier: 'free', scopes: ['knowledge:read', 'contacts:read'] });
    const send = (method: 'GET' | 'POST', url: string, times: number) =>
      Promise.all(Array.from({ length: times }, () => t.request(key.key, { method, url, ...(method === 'POST' ? { payload: { title: 't', body: 'b' } } : {}) })));
    const statuses = (await Promise.all([
      send('GET', '/v1/nope', 3), // 404 before the budget
      send('POST', '/v1/knowledge/articles', 5), // 403 insufficient_scope, counted against the budget
      send('GET', '/v1/knowledge/articles/art_00000000000000000000000000', 5), // 404 from the handler
    ])).flat().map((r) => r.statusCode);
    expect(statuses).toEqual([...Array(3).fill(404), ...Array(5).fill(403), ...Array(5).fill(404)]);
    const me = (await send('GET', '/v1/me', 60)).map((r) => r.statusCode);
    expect(me.filter((s) => s === 200)).toHaveLength(50);
    expect(me.filter((s) => s === 429)).toHaveLength(10);

    const usage = await usageOf(key.id);
    expect(usage).toMatchObject({ total: 73, by_status: { '2xx': 50, '3xx': 0, '4xx': 23, '5xx': 0 }, rate_limited: 10 });
    expect(usage.routes).toEqual([
      { route: 'GET /v1/me', count: 60 },
      { route: 'GET /v1/knowledge/articles/{id}', count: 5 },
      { route: 'POST /v1/knowledge/articles', count: 5 },
      { route: 'GET (no such route)', count: 3 },
    ]);
    // knowledge:read was needed (even the 404 by id needed it); contacts:read never was.
    expect(usage.unused_scopes).toEqual(['contacts:read']);
    expect(usage.series.find((p) => p.t === '2026-07-01T10:30:00.000Z')).toEqual({
      t: '2026-07-01T10:30:00.000Z',
      count: 73,
      by_status: { '2xx': 50, '3xx': 0, '4xx': 23, '5xx': 0 },
      rate_limited: 10,
    });
  });

  it('401s for disabled, expired and revoked keys, a rotated-out secret and 403 ip_not_allowed are recorded under the key', async () => {
    const disabled = await t.key();
    await t.runtime.keys.update(disabled.id, { active: false }, OPERATOR);
    const expired = await t.key({ expiresAt: clock.now() + 1000 });
    const revoked = await t.key();
    await t.runtime.keys.revoke(revoked.id, OPERATOR);
    const rotated = await t.key();
    const fresh = await t.runtime.keys.rotate(rotated.id, 0, OPERATOR);
    const fenced = await t.key({ allowedIps: ['10.0.0.0/8'] });
    clock.advance(1000);
    const cases = [
      [disabled, 'api_key_disabled'],
      [expired, 'api_key_expired'],
      [revoked, 'api_key_revoked'],
      [rotated, 'api_key_revoked'],
      [fenced, 'ip_not_allowed'],
    ] as const;
    for (const [key, code] of cases) {
      for (let i = 0; i < 2; i++) expect((await t.request(key.key, { method: 'GET', url: '/v1/me', remoteAddress: '192.0.2.1' })).json().code).toBe(code);
    }
    for (const [key, code] of cases) {
      const usage = await usageOf(key.id);
      expect(usage, code).toMatchObject({ total: 2, by_status: { '4xx': 2 }, routes: [{ route: 'GET /v1/me', count: 2 }] });
    }
    const raw = await readUsageEvents(t.runtime.store.db, { keyId: rotated.id });
    const oldSecret = fresh.secrets.find((s) => s.hint === rotated.hint)!;
    expect(raw.map((r) => [r.secretId, r.status, r.ip])).toEqual([
      [oldSecret.id, 401, '192.0.2.1'],
      [oldSecret.id, 401, '192.0.2.1'],
    ]);
  });

  it('unknown keys are not recorded (there is no key to record them under)', async () => {
    const before = t.runtime.usage.stats.recorded;
    await t.request('sa_test_garbage', { method: 'GET', url: '/v1/me' });
    await t.request(null, { method: 'GET', url: '/v1/me' });
    expect(t.runtime.usage.stats.recorded).toBe(before);
  });

  it('the server writes usage by itself within its flush interval', async () => {
    const key = await t.key();
    await t.request(key.key, { method: 'GET', url: '/v1/me' });
    const deadline = Date.now() + 5_000;
    let total = 0;
    while (Date.now() < deadline && total === 0) {
      await new Promise((r) => setTimeout(r, 100));
      total = (await keyUsage(t.runtime.store.db, key.id, clock.now() - HOUR, clock.now())).total;
    }
    expect(total).toBe(1);
  });
});
