import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedOrg } from '../../src/services/orgs.js';
import { ManualClock, type TestApp, startTestApp } from '../helpers/app.js';
import { type AdminClient, signIn } from '../helpers/admin.js';

describe('management API: keys and audit log (SPEC section 8)', () => {
  let t: TestApp;
  let admin: AdminClient;
  let small: CreatedOrg;
  let smallAdmin: AdminClient;
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  beforeAll(async () => {
    t = await startTestApp({ clock });
    admin = await signIn(t, t.org.admin, '192.0.2.44');
    small = await t.runtime.orgs.create('Small shop', { maxTier: 'standard' });
    smallAdmin = await signIn(t, small.admin);
  });
  afterAll(() => t.close());

  const create = (client: AdminClient, body: Record<string, unknown>) => client.call({ method: 'POST', url: '/manage/v1/api-keys', payload: body });
  const me = (secret: string) => t.request(secret, { method: 'GET', url: '/v1/me' });

  it('creates a key: 201 with the full key once; it works on /v1/me and is never shown again', async () => {
    const res = await create(admin, { name: 'kb sync', environment: 'production', scopes: ['knowledge:read', 'knowledge:write'], tier: 'premium' });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created.key).toMatch(/^sa_live_[0-9A-Za-z]{46}$/);
    expect(created).toMatchObject({ name: 'kb sync', environment: 'production', tier: 'premium', status: 'active', scopes: ['knowledge:read', 'knowledge:write'], limits: { per_minute: 3000, per_day: 1_000_000 } });
    expect(created.hint).toBe(`${created.key.slice(0, 12)}...${created.key.slice(-4)}`);
    expect((await me(created.key)).statusCode).toBe(200);
    const shown = await admin.call({ method: 'GET', url: `/manage/v1/api-keys/${created.id}` });
    expect(shown.statusCode).toBe(200);
    expect(shown.body).not.toContain(created.key);
    const list = await admin.call({ method: 'GET', url: '/manage/v1/api-keys' });
    expect(list.body).not.toContain(created.key);
    expect(list.json().data.map((k: { id: string }) => k.id)).toContain(created.id);
  });

  it('a key without a tier gets standard; the list filters by environment', async () => {
    const sandbox = (await create(admin, { name: 'sandbox one', environment: 'sandbox', scopes: [] })).json();
    expect(sandbox.tier).toBe('standard');
    const onlySandbox = (await admin.call({ method: 'GET', url: '/manage/v1/api-keys?environment=sandbox' })).json().data;
    expect(onlySandbox.length).toBeGreaterThan(0);
    expect(onlySandbox.every((k: { environment: string }) => k.environment === 'sandbox')).toBe(true);
    expect((await admin.call({ method: 'GET', url: '/manage/v1/api-keys?environment=staging' })).statusCode).toBe(400);
    const both = (await admin.call({ method: 'GET', url: '/manage/v1/api-keys?environment=' })).json().data;
    expect(new Set(both.map((k: { environment: string }) => k.environment))).toEqual(new Set(['production', 'sandbox']));
  });

  it.each([
    ['an unknown scope', { name: 'x', environment: 'sandbox', scopes: ['knowledge:admin'] }, 'body.scopes.0'],
    ['an unknown field', { name: 'x', environment: 'sandbox', scopes: [], owner: 'me' }, 'body.owner'],
    ['a missing name', { environment: 'sandbox', scopes: [] }, 'body.name'],
    ['a 201-character name', { name: 'n'.repeat(201), environment: 'sandbox', scopes: [] }, 'body.name'],
    ['an unknown environment', { name: 'x', environment: 'live', scopes: [] }, 'body.environment'],
    ['a bad CIDR', { name: 'x', environment: 'sandbox', scopes: [], allowed_ips: ['10.0.0.0/33'] }, 'allowed_ips'],
    ['an expiry in the past', { name: 'x', environment: 'sandbox', scopes: [], expires_at: '2020-01-01T00:00:00Z' }, 'expires_at'],
  ])('create with %s is 400 invalid_request naming the field', async (_, body, path) => {
    const res = await create(admin, body);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().code).toBe('invalid_request');
    expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it("admins pick tiers only up to their org's max tier (403 forbidden above it), on create and on change", async () => {
    const above = await create(smallAdmin, { name: 'too big', environment: 'sandbox', scopes: [], tier: 'premium' });
    expect(above.statusCode).toBe(403);
    expect(above.json()).toMatchObject({ code: 'forbidden' });
    expect(above.json().detail).toMatch(/max(imum)? tier standard/);
    const ok = await create(smallAdmin, { name: 'fits', environment: 'sandbox', scopes: [], tier: 'free' });
    expect(ok.statusCode).toBe(201);
    const raise = await smallAdmin.call({ method: 'PATCH', url: `/manage/v1/api-keys/${ok.json().id}`, payload: { tier: 'enterprise' } });
    expect(raise.statusCode).toBe(403);
    const toStandard = await smallAdmin.call({ method: 'PATCH', url: `/manage/v1/api-keys/${ok.json().id}`, payload: { tier: 'standard' } });
    expect(toStandard.json().tier).toBe('standard');
  });

  it('per-key limit overrides are refused for admins (operators only), on create and on change', async () => {
    const withLimits = await create(admin, { name: 'load test', environment: 'sandbox', scopes: [], limits: { per_minute: 100_000 } });
    expect(withLimits.statusCode).toBe(403);
    expect(withLimits.json().detail).toMatch(/operators only/);
    const key = await t.key();
    const patch = await admin.call({ method: 'PATCH', url: `/manage/v1/api-keys/${key.id}`, payload: { limits: { per_day: 5 } } });
    expect(patch.statusCode).toBe(403);
    expect((await admin.call({ method: 'GET', url: `/manage/v1/api-keys/${key.id}` })).json().limit_overrides).toEqual({ per_minute: null, per_day: null });
  });

  it('PATCH changes name and scopes, and active=false disables the key at once (active=true enables it)', async () => {
    const key = await t.key({ scopes: ['knowledge:read'] });
    const renamed = await admin.call({ method: 'PATCH', url: `/manage/v1/api-keys/${key.id}`, payload: { name: 'renamed', scopes: ['contacts:read', 'knowledge:read'] } });
    expect(renamed.json()).toMatchObject({ name: 'renamed', scopes: ['contacts:read', 'knowledge:read'] });
    const disabled = await admin.call({ method: 'PATCH', url: `/manage/v1/api-keys/${key.id}`, payload: { active: false } });
    expect(disabled.json().status).toBe('disabled');
    expect((await me(key.key)).json().code).toBe('api_key_disabled');
    await admin.call({ method: 'PATCH', url: `/manage/v1/api-keys/${key.id}`, payload: { active: true } });
    expect((await me(key.key)).statusCode).toBe(200);
  });

  it('rotates with a grace: 201 with the new key once; both secrets work until end-grace, then only the new one', async () => {
    const key = await t.key();
    const res = await admin.call({ method: 'POST', url: `/manage/v1/api-keys/${key.id}/rotate`, payload: { grace_period_seconds: 3600 } });
    expect(res.statusCode).toBe(201);
    const rotated = res.json();
    expect(rotated.id).toBe(key.id);
    expect(rotated.key).toMatch(/^sa_test_/);
    expect(rotated.key).not.toBe(key.key);
    expect(rotated.secrets.filter((s: { live: boolean }) => s.live)).toHaveLength(2);
    expect((await me(key.key)).statusCode).toBe(200);
    expect((await me(rotated.key)).statusCode).toBe(200);
    const ended = await admin.call({ method: 'POST', url: `/manage/v1/api-keys/${key.id}/end-grace` });
    expect(ended.statusCode).toBe(200);
    expect(ended.json().secrets.filter((s: { live: boolean }) => s.live)).toHaveLength(1);
    expect((await me(key.key)).json().code).toBe('api_key_revoked');
    expect((await me(rotated.key)).statusCode).toBe(200);
  });

  it('rotate without a body means grace 0; a grace over 7 days is 400', async () => {
    const key = await t.key();
    const res = await admin.call({ method: 'POST', url: `/manage/v1/api-keys/${key.id}/rotate` });
    expect(res.statusCode).toBe(201);
    expect((await me(key.key)).json().code).toBe('api_key_revoked');
    const tooLong = await admin.call({ method: 'POST', url: `/manage/v1/api-keys/${key.id}/rotate`, payload: { grace_period_seconds: 7 * 86_400 + 1 } });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().errors[0].path).toBe('body.grace_period_seconds');
  });

  it('revokes for good: the key answers api_key_revoked; rotating or changing it is 409 conflict', async () => {
    const key = await t.key();
    const res = await admin.call({ method: 'POST', url: `/manage/v1/api-keys/${key.id}/revoke` });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('revoked');
    expect((await me(key.key)).json().code).toBe('api_key_revoked');
    const rotate = await admin.call({ method: 'POST', url: `/manage/v1/api-keys/${key.id}/rotate`, payload: { grace_period_seconds: 0 } });
    expect(rotate.statusCode).toBe(409);
    expect(rotate.json().code).toBe('conflict');
    expect((await admin.call({ method: 'PATCH', url: `/manage/v1/api-keys/${key.id}`, payload: { active: true } })).statusCode).toBe(409);
  });

  it("another org's key id is 404 for every call, and its key list never shows up", async () => {
    const theirs = (await create(smallAdmin, { name: 'private', environment: 'production', scopes: [] })).json();
    const calls = [
      { method: 'GET', url: `/manage/v1/api-keys/${theirs.id}` },
      { method: 'PATCH', url: `/manage/v1/api-keys/${theirs.id}`, payload: { active: false } },
      { method: 'POST', url: `/manage/v1/api-keys/${theirs.id}/rotate`, payload: { grace_period_seconds: 0 } },
      { method: 'POST', url: `/manage/v1/api-keys/${theirs.id}/end-grace` },
      { method: 'POST', url: `/manage/v1/api-keys/${theirs.id}/revoke` },
    ] as const;
    for (const call of calls) {
      const res = await admin.call(call);
      expect(res.statusCode, `${call.method} ${call.url}`).toBe(404);
      expect(res.json().code).toBe('not_found');
    }
    expect((await me(theirs.key)).statusCode).toBe(200);
    expect((await admin.call({ method: 'GET', url: '/manage/v1/api-keys' })).json().data.map((k: { id: string }) => k.id)).not.toContain(theirs.id);
    const theirAudit = (await smallAdmin.call({ method: 'GET', url: '/manage/v1/audit-log?limit=100' })).json().data;
    expect(theirAudit.every((e: { key_id: string | null }) => e.key_id !== null)).toBe(true);
    const ourAudit = (await admin.call({ method: 'GET', url: '/manage/v1/audit-log?limit=100' })).json().data;
    expect(ourAudit.map((e: { key_id: string }) => e.key_id)).not.toContain(theirs.id);
  });

  it('an id that is no key of ours is 404, whatever its shape', async () => {
    for (const id of ['not-a-key', 'key_00000000000000000000000000']) {
      const res = await admin.call({ method: 'GET', url: `/manage/v1/api-keys/${id}` });
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('not_found');
    }
  });

  it('every change is audited with the admin as actor and the client address, never the key', async () => {
    // Ids order by millisecond; step the clock so the order of events is the order of ids.
    const step = async <T>(work: Promise<T>) => {
      const result = await work;
      clock.advance(1000);
      return result;
    };
    const created = (await step(create(admin, { name: 'audited', environment: 'sandbox', scopes: ['analytics:read'] }))).json();
    await step(admin.call({ method: 'PATCH', url: `/manage/v1/api-keys/${created.id}`, payload: { active: false } }));
    await step(admin.call({ method: 'PATCH', url: `/manage/v1/api-keys/${created.id}`, payload: { active: true } }));
    const rotated = (await step(admin.call({ method: 'POST', url: `/manage/v1/api-keys/${created.id}/rotate`, payload: { grace_period_seconds: 60 } }))).json();
    await step(admin.call({ method: 'POST', url: `/manage/v1/api-keys/${created.id}/end-grace` }));
    await step(admin.call({ method: 'POST', url: `/manage/v1/api-keys/${created.id}/revoke` }));
    const res = await admin.call({ method: 'GET', url: '/manage/v1/audit-log?limit=100' });
    expect(res.statusCode).toBe(200);
    const entries = res.json().data.filter((e: { key_id: string }) => e.key_id === created.id);
    expect(entries.map((e: { action: string }) => e.action)).toEqual([
      'api_key.revoked',
      'api_key.grace_ended',
      'api_key.rotated',
      'api_key.enabled',
      'api_key.disabled',
      'api_key.created',
    ]);
    const session = (await admin.call({ method: 'GET', url: '/manage/v1/session' })).json();
    for (const e of entries) expect(e).toMatchObject({ actor: { type: 'admin', id: session.admin.id, email: t.org.admin.email }, source_ip: '192.0.2.44' });
    expect(res.body).not.toContain(created.key);
    expect(res.body).not.toContain(rotated.key);
  });

  it('the audit log pages with limit and cursor', async () => {
    const first = (await admin.call({ method: 'GET', url: '/manage/v1/audit-log?limit=2' })).json();
    expect(first.data).toHaveLength(2);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = (await admin.call({ method: 'GET', url: `/manage/v1/audit-log?limit=2&cursor=${first.next_cursor}` })).json();
    expect(second.data[0].id < first.data[1].id).toBe(true);
    expect((await admin.call({ method: 'GET', url: '/manage/v1/audit-log?cursor=garbage' })).statusCode).toBe(400);
  });

  it('the OpenAPI document describes the management API under its tags with a cookie security scheme', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.components.securitySchemes.session).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'atender_session' });
    for (const path of ['/manage/v1/session', '/manage/v1/api-keys', '/manage/v1/api-keys/{id}', '/manage/v1/api-keys/{id}/rotate', '/manage/v1/api-keys/{id}/end-grace', '/manage/v1/api-keys/{id}/revoke', '/manage/v1/api-keys/{id}/usage', '/manage/v1/audit-log']) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.paths['/manage/v1/api-keys'].post.tags).toEqual(['Management: API keys']);
    expect(doc.paths['/manage/v1/api-keys'].post.security).toEqual([{ session: [] }]);
  });
});
