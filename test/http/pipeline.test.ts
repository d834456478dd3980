import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCidr } from '../../src/core/client-ip.js';
import { generateKey } from '../../src/core/keys.js';
import { OPERATOR } from '../../src/store/audit-repo.js';
import { ManualClock, type TestApp, startTestApp } from '../helpers/app.js';

describe('the request pipeline (SPEC section 5)', () => {
  let t: TestApp;
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  beforeAll(async () => {
    t = await startTestApp({ clock });
  });
  afterAll(() => t.close());

  it('1: no Authorization header → 401 missing_api_key with a Bearer challenge', async () => {
    const res = await t.request(null, { method: 'GET', url: '/v1/me' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="atender"');
    const body = res.json();
    expect(body).toMatchObject({ type: '/problems/missing_api_key', title: 'Missing API key', status: 401, code: 'missing_api_key' });
    expect(body.request_id).toBe(res.headers['request-id']);
  });

  it.each([
    ['Basic abc', 'wrong scheme'],
    ['Bearer', 'no token'],
    ['Bearer ', 'empty token'],
    ['Bearer  sa_test_x', 'two spaces'],
    ['Bearer sa_test_tooshort', 'short key'],
  ])('2: %s (%s) → 401 malformed_api_key', async (header) => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: header } });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('malformed_api_key');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="atender", error="invalid_token"');
  });

  it('2: a key with a wrong checksum is malformed without touching storage', async () => {
    const key = generateKey('sandbox');
    const bad = key.slice(0, -1) + (key.endsWith('0') ? '1' : '0');
    const before = t.runtime.verifier.stats.lookups;
    const res = await t.request(bad, { method: 'GET', url: '/v1/me' });
    expect(res.json().code).toBe('malformed_api_key');
    expect(t.runtime.verifier.stats.lookups).toBe(before);
  });

  it('2: the scheme is matched in any case', async () => {
    const key = await t.key();
    const res = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `bEaReR ${key.key}` } });
    expect(res.statusCode).toBe(200);
  });

  it('3: a well-formed unknown key → 401 invalid_api_key, looked up once', async () => {
    const unknown = generateKey('production');
    const before = t.runtime.verifier.stats.lookups;
    for (let i = 0; i < 3; i++) expect((await t.request(unknown, { method: 'GET', url: '/v1/me' })).json().code).toBe('invalid_api_key');
    expect(t.runtime.verifier.stats.lookups).toBe(before + 1);
  });

  it('4: revoked, expired, disabled answer in that order of precedence', async () => {
    const key = await t.key({ expiresAt: clock.now() + 60_000 });
    await t.runtime.keys.update(key.id, { active: false }, { type: 'operator', id: 't', ip: null });
    expect((await t.request(key.key, { method: 'GET', url: '/v1/me' })).json().code).toBe('api_key_disabled');
    clock.advance(60_000);
    expect((await t.request(key.key, { method: 'GET', url: '/v1/me' })).json().code).toBe('api_key_expired');
    await t.runtime.keys.revoke(key.id, { type: 'operator', id: 't', ip: null });
    const res = await t.request(key.key, { method: 'GET', url: '/v1/me' });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('api_key_revoked');
  });

  it('a /v1 path that does not exist is 404 only after checks 1-4', async () => {
    expect((await t.request(null, { method: 'GET', url: '/v1/nope' })).statusCode).toBe(401);
    const key = await t.key();
    const res = await t.request(key.key, { method: 'GET', url: '/v1/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('not_found');
  });

  it('5: a request from outside the allowlist → 403 ip_not_allowed; IPv4-mapped IPv6 matches IPv4 ranges', async () => {
    const key = await t.key({ allowedIps: ['10.0.0.0/8'] });
    expect((await t.request(key.key, { method: 'GET', url: '/v1/me', remoteAddress: '192.168.1.1' })).json().code).toBe('ip_not_allowed');
    expect((await t.request(key.key, { method: 'GET', url: '/v1/me', remoteAddress: '10.1.2.3' })).statusCode).toBe(200);
    expect((await t.request(key.key, { method: 'GET', url: '/v1/me', remoteAddress: '::ffff:10.1.2.3' })).statusCode).toBe(200);
  });

  it('6: past the per-minute budget → 429 rate_limited with Retry-After and violated_policies', async () => {
    const key = await t.key({ tier: 'free' });
    for (let i = 0; i < 60; i++) expect((await t.request(key.key, { method: 'GET', url: '/v1/me' })).statusCode).toBe(200);
    const res = await t.request(key.key, { method: 'GET', url: '/v1/me' });
    expect(res.statusCode).toBe(429);
    expect(res.json()).toMatchObject({ code: 'rate_limited', violated_policies: ['minute'] });
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers['x-ratelimit-remaining']).toBe('0');
    expect(res.headers.ratelimit).toMatch(/^"minute";r=0;t=\d+$/);
  });

  it('7: a key without the scope → 403 insufficient_scope, counted against the budget', async () => {
    const key = await t.key({ scopes: ['knowledge:read'], tier: 'free' });
    const res = await t.request(key.key, { method: 'POST', url: '/v1/knowledge/articles', payload: { title: 'x', body: 'y' } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'insufficient_scope', required_scopes: ['knowledge:write'] });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="atender", error="insufficient_scope", scope="knowledge:write"');
    expect(res.headers['x-ratelimit-remaining']).toBe('59');
  });

  it('refuses before the body is read: a scope failure beats a bad body', async () => {
    const key = await t.key({ scopes: ['knowledge:read'] });
    const res = await t.request(key.key, { method: 'POST', url: '/v1/knowledge/articles', payload: 'not json', headers: { 'content-type': 'application/json' } });
    expect(res.json().code).toBe('insufficient_scope');
  });

  it('throttles failed authentication per IP without touching any key budget', async () => {
    const ip = '203.0.113.9';
    for (let i = 0; i < 100; i++) {
      expect((await t.request(generateKey('sandbox'), { method: 'GET', url: '/v1/me', remoteAddress: ip })).statusCode).toBe(401);
    }
    const res = await t.request('sa_test_garbage', { method: 'GET', url: '/v1/me', remoteAddress: ip });
    expect(res.statusCode).toBe(429);
    expect(res.json().code).toBe('too_many_failed_attempts');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const known = await t.key();
    expect((await t.request(known.key, { method: 'GET', url: '/v1/me', remoteAddress: ip })).statusCode).toBe(200);
  });
});

describe('the pipeline, continued', () => {
  const me = { method: 'GET', url: '/v1/me' } as const;

  it('a throttled IP still gets the real answer for known keys, revoked and disabled included', async () => {
    const t = await startTestApp();
    try {
      const revoked = await t.key();
      await t.runtime.keys.revoke(revoked.id, OPERATOR);
      const disabled = await t.key();
      await t.runtime.keys.update(disabled.id, { active: false }, OPERATOR);
      const ip = '198.51.100.77';
      for (let i = 0; i < 101; i++) await t.request('Bearer nonsense', { ...me, remoteAddress: ip });
      expect((await t.request(generateKey('production'), { ...me, remoteAddress: ip })).json().code).toBe('too_many_failed_attempts');
      expect((await t.request(revoked.key, { ...me, remoteAddress: ip })).json().code).toBe('api_key_revoked');
      expect((await t.request(disabled.key, { ...me, remoteAddress: ip })).json().code).toBe('api_key_disabled');
      // Another address is not affected.
      expect((await t.request(generateKey('production'), { ...me, remoteAddress: '198.51.100.78' })).json().code).toBe('invalid_api_key');
    } finally {
      await t.close();
    }
  });

  it('ATENDER_TRUST_PROXY: X-Forwarded-For decides the client IP only from a trusted proxy', async () => {
    const t = await startTestApp({ config: { trustProxy: [parseCidr('10.0.0.0/8')!] } });
    try {
      const key = await t.key({ allowedIps: ['203.0.113.0/24'] });
      const from = (remoteAddress: string, xff?: string) => t.request(key.key, { ...me, remoteAddress, headers: xff ? { 'x-forwarded-for': xff } : {} });
      expect((await from('10.0.0.2', '203.0.113.5')).statusCode).toBe(200);
      expect((await from('10.0.0.2', '203.0.113.5, 10.0.0.9')).statusCode).toBe(200);
      // The client cannot spoof its way in by writing the header itself.
      expect((await from('10.0.0.2', '203.0.113.5, 198.51.100.1')).json().code).toBe('ip_not_allowed');
      expect((await from('198.51.100.1', '203.0.113.5')).json().code).toBe('ip_not_allowed');
      expect((await from('10.0.0.2')).json().code).toBe('ip_not_allowed');
    } finally {
      await t.close();
    }
    // Without ATENDER_TRUST_PROXY the header is ignored entirely.
    const plain = await startTestApp();
    try {
      const key = await plain.key({ allowedIps: ['203.0.113.0/24'] });
      expect((await plain.request(key.key, { ...me, remoteAddress: '10.0.0.2', headers: { 'x-forwarded-for': '203.0.113.5' } })).json().code).toBe('ip_not_allowed');
    } finally {
      await plain.close();
    }
  });

  it('revocation never fails open: no healthy feed and no database → 503 service_unavailable', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
    const t = await startTestApp({ clock });
    const key = await t.key();
    // Consume the key's own creation notice now: on PostgreSQL it also arrives by NOTIFY, at any moment,
    // and would make the node re-confirm the key later than this test assumes.
    await t.runtime.feed.poll();
    expect((await t.request(key.key, me)).statusCode).toBe(200);
    // Within 1 s of its confirmation the cached record still answers, whatever happens.
    await t.runtime.feed.stop();
    clock.advance(1_000);
    expect((await t.request(key.key, me)).statusCode).toBe(200);
    // Past that, with the feed silent and the database gone, nothing can confirm the key.
    clock.advance(1);
    await t.runtime.store.db.destroy();
    const res = await t.request(key.key, me);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'service_unavailable', status: 503 });
    expect(res.body).not.toContain(key.key);
    await t.close();
  });
});
