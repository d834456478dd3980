import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_ABSOLUTE_MS, SESSION_IDLE_MS } from '../../src/services/admin-sessions.js';
import { ManualClock, type TestApp, startTestApp } from '../helpers/app.js';
import { SAME_ORIGIN, sessionCookie, signIn } from '../helpers/admin.js';
import { testDatabases } from '../helpers/services.js';

describe.each(await testDatabases())('management sign-in, sessions and CSRF (SPEC section 8) on $name', (database) => {
  let t: TestApp;
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  beforeAll(async () => {
    t = await startTestApp({ clock, database });
  });
  afterAll(() => t.close());

  const login = (payload: unknown, extra: { remoteAddress?: string; headers?: Record<string, string> } = {}) =>
    t.app.inject({ method: 'POST', url: '/manage/v1/session', payload: payload as object, remoteAddress: extra.remoteAddress ?? '127.0.0.1', headers: extra.headers ?? {} });

  it('signs in with the printed credentials: 204 and an HttpOnly, SameSite=Strict cookie holding no secret we store', async () => {
    const res = await login(t.org.admin);
    expect(res.statusCode).toBe(204);
    const set = String(res.headers['set-cookie']);
    expect(set).toMatch(/^atender_session=[A-Za-z0-9_-]{43};/);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).toMatch(/Path=\/manage/);
    expect(set).not.toMatch(/Secure/);
    const token = sessionCookie(res).split('=')[1]!;
    const rows = await t.runtime.store.db.selectFrom('admin_sessions').selectAll().execute();
    expect(rows.some((r) => r.token_digest === token)).toBe(false);
  });

  it('marks the cookie Secure behind a trusted proxy that says https, and only then', async () => {
    const proxied = await startTestApp({ clock, database, config: { trustProxy: [[(await import('ipaddr.js')).default.parse('10.0.0.1'), 32]] } });
    try {
      const viaProxy = await proxied.app.inject({ method: 'POST', url: '/manage/v1/session', payload: proxied.org.admin, remoteAddress: '10.0.0.1', headers: { 'x-forwarded-proto': 'https' } });
      expect(String(viaProxy.headers['set-cookie'])).toMatch(/; Secure/);
      const spoofed = await proxied.app.inject({ method: 'POST', url: '/manage/v1/session', payload: proxied.org.admin, remoteAddress: '10.9.9.9', headers: { 'x-forwarded-proto': 'https' } });
      expect(String(spoofed.headers['set-cookie'])).not.toMatch(/Secure/);
    } finally {
      await proxied.close();
    }
  });

  it('GET /session names the admin and org and gives the CSRF token', async () => {
    const admin = await signIn(t);
    const res = await admin.call({ method: 'GET', url: '/manage/v1/session' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ admin: { email: t.org.admin.email }, org: { id: t.org.org.id, max_tier: 'enterprise' }, csrf_token: admin.csrfToken });
  });

  it.each([
    ['no cookie', {}],
    ['a made-up cookie', { cookie: 'atender_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
  ])('every management call with %s is 401 session_required, including unknown paths', async (_, headers) => {
    for (const [method, url] of [['GET', '/manage/v1/api-keys'], ['GET', '/manage/v1/audit-log'], ['POST', '/manage/v1/api-keys'], ['GET', '/manage/v1/nope'], ['DELETE', '/manage/v1/session']] as const) {
      const res = await t.app.inject({ method, url, headers: { origin: SAME_ORIGIN, ...headers } });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ code: 'session_required', type: '/problems/session_required' });
    }
  });

  it('an unknown path with a session is 404 problem+json', async () => {
    const admin = await signIn(t);
    const res = await admin.call({ method: 'GET', url: '/manage/v1/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('not_found');
  });

  it('a wrong password and an unknown email get the same 401 invalid_credentials', async () => {
    const wrong = await login({ email: t.org.admin.email, password: 'not-it' }, { remoteAddress: '192.0.2.10' });
    const unknown = await login({ email: 'nobody@nowhere.example', password: 'not-it' }, { remoteAddress: '192.0.2.10' });
    for (const res of [wrong, unknown]) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'invalid_credentials', detail: 'wrong email or password' });
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  it('400 for a sign-in body with a missing or unknown field', async () => {
    const res = await login({ email: t.org.admin.email });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toContainEqual({ path: 'body.password', message: 'is required' });
    expect((await login({ ...t.org.admin, remember: true })).json().errors).toContainEqual({ path: 'body.remember', message: 'is not a known field' });
  });

  it('a sign-in from another site (foreign Origin) is 403 csrf_rejected', async () => {
    const res = await login(t.org.admin, { headers: { origin: 'https://evil.example' } });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('csrf_rejected');
  });

  it('mutating calls need a same-origin Origin or the X-CSRF-Token, else 403 csrf_rejected', async () => {
    const admin = await signIn(t);
    const body = { name: 'csrf probe', environment: 'sandbox', scopes: [] };
    const noOrigin = await t.app.inject({ method: 'POST', url: '/manage/v1/api-keys', payload: body, headers: { cookie: admin.cookie } });
    expect(noOrigin.statusCode).toBe(403);
    expect(noOrigin.json().code).toBe('csrf_rejected');
    const foreign = await admin.call({ method: 'POST', url: '/manage/v1/api-keys', payload: body, headers: { origin: 'http://localhost:8080' } });
    expect(foreign.json().code).toBe('csrf_rejected');
    const badToken = await t.app.inject({ method: 'POST', url: '/manage/v1/api-keys', payload: body, headers: { cookie: admin.cookie, 'x-csrf-token': `${admin.csrfToken.slice(0, -1)}x` } });
    expect(badToken.json().code).toBe('csrf_rejected');
    const withToken = await t.app.inject({ method: 'POST', url: '/manage/v1/api-keys', payload: body, headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken } });
    expect(withToken.statusCode).toBe(201);
    const sameOrigin = await admin.call({ method: 'POST', url: '/manage/v1/api-keys', payload: body });
    expect(sameOrigin.statusCode).toBe(201);
    // Reads need no CSRF proof.
    expect((await t.app.inject({ method: 'GET', url: '/manage/v1/api-keys', headers: { cookie: admin.cookie } })).statusCode).toBe(200);
  });

  it('sign-out ends the session on the server: the same cookie is then 401', async () => {
    const admin = await signIn(t);
    const out = await admin.call({ method: 'DELETE', url: '/manage/v1/session' });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^atender_session=;/);
    expect((await admin.call({ method: 'GET', url: '/manage/v1/api-keys' })).json().code).toBe('session_required');
  });

  it('sessions slide: activity keeps one alive, an hour idle ends it, and 12 hours is the hard cap', async () => {
    const idle = await signIn(t);
    const busy = await signIn(t);
    for (let elapsed = 0; elapsed + SESSION_IDLE_MS / 2 < SESSION_ABSOLUTE_MS; elapsed += SESSION_IDLE_MS / 2) {
      clock.advance(SESSION_IDLE_MS / 2);
      expect((await busy.call({ method: 'GET', url: '/manage/v1/session' })).statusCode).toBe(200);
    }
    expect((await idle.call({ method: 'GET', url: '/manage/v1/session' })).json().code).toBe('session_required');
    clock.advance(SESSION_IDLE_MS / 2);
    expect((await busy.call({ method: 'GET', url: '/manage/v1/session' })).json().code).toBe('session_required');
  });

  it('a password reset by an operator ends every session of that admin', async () => {
    const admin = await signIn(t);
    const password = await t.runtime.orgs.resetPassword(t.org.org.id, t.org.admin.email);
    expect((await admin.call({ method: 'GET', url: '/manage/v1/session' })).json().code).toBe('session_required');
    expect((await login({ email: t.org.admin.email, password })).statusCode).toBe(204);
    t.org.admin.password = password;
  });

  it('throttles failed sign-ins per account: the 11th try in 15 minutes is 429 with Retry-After, even with the right password', async () => {
    clock.advance(60 * 60_000);
    const email = t.org.admin.email;
    for (let i = 0; i < 10; i++) {
      expect((await login({ email, password: `wrong-${i}` }, { remoteAddress: `198.51.100.${i + 1}` })).statusCode).toBe(401);
      clock.advance(1000);
    }
    const locked = await login(t.org.admin, { remoteAddress: '198.51.100.200' });
    expect(locked.statusCode).toBe(429);
    expect(locked.json().code).toBe('too_many_requests');
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBe(15 * 60 - 10);
    clock.advance(retryAfter * 1000);
    expect((await login(t.org.admin, { remoteAddress: '198.51.100.200' })).statusCode).toBe(204);
  });

  it('throttles failed sign-ins per client address across accounts', async () => {
    clock.advance(60 * 60_000);
    for (let i = 0; i < 30; i++) expect((await login({ email: `guess${i}@example.com`, password: 'x' }, { remoteAddress: '203.0.113.7' })).statusCode).toBe(401);
    const blocked = await login(t.org.admin, { remoteAddress: '203.0.113.7' });
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Another address is unaffected.
    expect((await login(t.org.admin, { remoteAddress: '203.0.113.8' })).statusCode).toBe(204);
  });
});
