/**
 * Key lifecycle (SPEC section 2) as a user of the API sees it: each state change
 * made through the service, then checked over HTTP and in the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_GRACE_MS } from '../../src/services/keys.js';
import { type Actor, listAudit } from '../../src/store/audit-repo.js';
import { keyUsage } from '../../src/usage/queries.js';
import { ManualClock, type TestApp, startTestApp } from '../helpers/app.js';

const ADMIN: Actor = { type: 'admin', id: 'adm_lifecycle', ip: '198.51.100.7' };
const HOUR = 3_600_000;

describe('key lifecycle', () => {
  let t: TestApp;
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9));
  beforeAll(async () => {
    t = await startTestApp({ clock });
  });
  afterAll(() => t.close());

  const me = (secret: string) => t.request(secret, { method: 'GET', url: '/v1/me' });
  /** 200, or the problem code of the refusal. */
  const outcome = async (secret: string) => {
    const res = await me(secret);
    return res.statusCode === 200 ? 200 : `${res.statusCode} ${res.json().code}`;
  };
  const audit = async (keyId: string) => (await listAudit(t.runtime.store.db, t.org.org.id, 1000)).filter((e) => e.key_id === keyId).reverse();

  it('create → disable → enable, each audited with actor, time, source IP and before/after', async () => {
    const key = await t.runtime.keys.create({ orgId: t.org.org.id, environment: 'sandbox', name: 'lifecycle', scopes: ['knowledge:read'] }, ADMIN);
    expect(key.status).toBe('active');
    expect(await outcome(key.key)).toBe(200);
    expect((await t.runtime.keys.update(key.id, { active: false }, ADMIN)).status).toBe('disabled');
    expect(await outcome(key.key)).toBe('401 api_key_disabled');
    clock.advance(1000);
    expect((await t.runtime.keys.update(key.id, { active: true }, ADMIN)).status).toBe('active');
    expect(await outcome(key.key)).toBe(200);
    const entries = await audit(key.id);
    expect(entries.map((e) => e.action)).toEqual(['api_key.created', 'api_key.disabled', 'api_key.enabled']);
    for (const e of entries) expect(e).toMatchObject({ actor: { type: 'admin', id: 'adm_lifecycle' }, source_ip: '198.51.100.7' });
    expect(entries[0]!.after).toMatchObject({ name: 'lifecycle', scopes: ['knowledge:read'], tier: 'standard' });
    expect(entries[1]).toMatchObject({ before: { active: true }, after: { active: false } });
    expect(entries[2]).toMatchObject({ before: { active: false }, after: { active: true }, created_at: new Date(clock.now()).toISOString() });
  });

  it('name, scope and tier changes are audited with what they were and became, and take effect at once', async () => {
    const key = await t.key({ scopes: ['knowledge:read'], tier: 'free' });
    await t.runtime.keys.update(key.id, { name: 'renamed', scopes: ['knowledge:read', 'contacts:read'], tier: 'premium' }, ADMIN);
    const res = await me(key.key);
    expect(res.json()).toMatchObject({ name: 'renamed', scopes: ['contacts:read', 'knowledge:read'], tier: 'premium', limits: { per_minute: 3000 } });
    const change = (await audit(key.id)).at(-1)!;
    expect(change.action).toBe('api_key.updated');
    expect(change.before).toEqual({ name: 'test key', scopes: ['knowledge:read'], tier: 'free' });
    expect(change.after).toEqual({ name: 'renamed', scopes: ['contacts:read', 'knowledge:read'], tier: 'premium' });
  });

  it('expiry: valid until expires_at, then 401 api_key_expired and status expired', async () => {
    const key = await t.key({ expiresAt: clock.now() + HOUR });
    clock.advance(HOUR - 1);
    expect(await outcome(key.key)).toBe(200);
    clock.advance(1);
    expect(await outcome(key.key)).toBe('401 api_key_expired');
    expect((await t.runtime.keys.require(key.id)).status).toBe('expired');
  });

  it('an expiry in the past is refused', async () => {
    await expect(t.key({ expiresAt: clock.now() })).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('status precedence: revoked over expired over disabled', async () => {
    const key = await t.key({ expiresAt: clock.now() + 1000 });
    await t.runtime.keys.update(key.id, { active: false }, ADMIN);
    expect((await t.runtime.keys.require(key.id)).status).toBe('disabled');
    clock.advance(1000);
    expect((await t.runtime.keys.require(key.id)).status).toBe('expired');
    expect(await outcome(key.key)).toBe('401 api_key_expired');
    await t.runtime.keys.revoke(key.id, ADMIN);
    expect((await t.runtime.keys.require(key.id)).status).toBe('revoked');
    expect(await outcome(key.key)).toBe('401 api_key_revoked');
  });

  it('revoke is permanent: 401 api_key_revoked, enabling or changing it is 409, revoking again changes nothing', async () => {
    const key = await t.key();
    await t.runtime.keys.revoke(key.id, ADMIN);
    expect(await outcome(key.key)).toBe('401 api_key_revoked');
    await expect(t.runtime.keys.update(key.id, { active: true }, ADMIN)).rejects.toMatchObject({ code: 'conflict', status: 409 });
    await expect(t.runtime.keys.update(key.id, { name: 'x' }, ADMIN)).rejects.toMatchObject({ code: 'conflict' });
    await t.runtime.keys.revoke(key.id, ADMIN);
    expect((await audit(key.id)).map((e) => e.action)).toEqual(['api_key.created', 'api_key.revoked']);
    expect((await audit(key.id))[1]).toMatchObject({ before: { status: 'active' }, after: { status: 'revoked' } });
  });

  it('rotation with grace 0: the old secret is revoked at once, the new one works, the key keeps its id and properties', async () => {
    const key = await t.key({ scopes: ['knowledge:read'], tier: 'premium', name: 'rotating' });
    const rotated = await t.runtime.keys.rotate(key.id, 0, ADMIN);
    expect(rotated.key).not.toBe(key.key);
    expect(rotated).toMatchObject({ id: key.id, scopes: ['knowledge:read'], tier: 'premium', name: 'rotating', status: 'active' });
    expect(await outcome(key.key)).toBe('401 api_key_revoked');
    expect(await outcome(rotated.key)).toBe(200);
    const entry = (await audit(key.id)).at(-1)!;
    expect(entry).toMatchObject({ action: 'api_key.rotated', before: { hint: key.hint }, after: { hint: rotated.hint, grace_period_seconds: 0 } });
  });

  it('rotation with a grace: both secrets work until it ends, then the old one is revoked', async () => {
    const key = await t.key();
    const rotated = await t.runtime.keys.rotate(key.id, 24 * HOUR, ADMIN);
    expect(await outcome(key.key)).toBe(200);
    expect(await outcome(rotated.key)).toBe(200);
    clock.advance(24 * HOUR - 1);
    expect(await outcome(key.key)).toBe(200);
    clock.advance(1);
    expect(await outcome(key.key)).toBe('401 api_key_revoked');
    expect(await outcome(rotated.key)).toBe(200);
  });

  it('rotation keeps the rate-limit budget and the usage history; last-used is per secret', async () => {
    const key = await t.key({ tier: 'free' });
    for (let i = 0; i < 30; i++) expect((await me(key.key)).statusCode).toBe(200);
    clock.advance(1000);
    const rotated = await t.runtime.keys.rotate(key.id, HOUR, ADMIN);
    const after = (await me(rotated.key)).json();
    // 60 per minute, 30 spent, one second refilled one token, this request took one.
    expect(after.remaining.minute).toBe(30);
    expect(after.remaining.day).toBe(10_000 - 31);
    await t.runtime.usage.flush();
    const usage = await keyUsage(t.runtime.store.db, key.id, clock.now() - HOUR, clock.now());
    expect(usage.total).toBe(31);
    const view = await t.runtime.keys.require(key.id);
    const [current, old] = view.secrets;
    expect(current).toMatchObject({ hint: rotated.hint, live: true, last_used_at: new Date(clock.now()).toISOString(), retires_at: null });
    expect(old).toMatchObject({ hint: key.hint, live: true, last_used_at: new Date(clock.now() - 1000).toISOString(), retires_at: new Date(clock.now() + HOUR).toISOString() });
  });

  it('rotating during a grace ends the older grace at once: at most two live secrets', async () => {
    const first = await t.key();
    const second = await t.runtime.keys.rotate(first.id, HOUR, ADMIN);
    const third = await t.runtime.keys.rotate(first.id, HOUR, ADMIN);
    expect(await outcome(first.key)).toBe('401 api_key_revoked');
    expect(await outcome(second.key)).toBe(200);
    expect(await outcome(third.key)).toBe(200);
    expect(third.secrets.filter((s) => s.live)).toHaveLength(2);
  });

  it('end-grace stops the old secret at once and is audited; with no grace running it changes nothing', async () => {
    const key = await t.key();
    const rotated = await t.runtime.keys.rotate(key.id, 7 * 24 * HOUR, ADMIN);
    expect(await outcome(key.key)).toBe(200);
    const ended = await t.runtime.keys.endGrace(key.id, ADMIN);
    expect(ended.secrets.filter((s) => s.live)).toHaveLength(1);
    expect(await outcome(key.key)).toBe('401 api_key_revoked');
    expect(await outcome(rotated.key)).toBe(200);
    await t.runtime.keys.endGrace(key.id, ADMIN);
    expect((await audit(key.id)).map((e) => e.action)).toEqual(['api_key.created', 'api_key.rotated', 'api_key.grace_ended']);
  });

  it('rotating a revoked key is 409 conflict; a grace over 7 days is 400; exactly 7 days is accepted', async () => {
    const revoked = await t.key();
    await t.runtime.keys.revoke(revoked.id, ADMIN);
    await expect(t.runtime.keys.rotate(revoked.id, 0, ADMIN)).rejects.toMatchObject({ code: 'conflict', status: 409 });
    const key = await t.key();
    await expect(t.runtime.keys.rotate(key.id, MAX_GRACE_MS + 1000, ADMIN)).rejects.toMatchObject({ code: 'invalid_request', status: 400 });
    await expect(t.runtime.keys.rotate(key.id, -1, ADMIN)).rejects.toMatchObject({ code: 'invalid_request' });
    expect(await outcome(key.key)).toBe(200);
    await expect(t.runtime.keys.rotate(key.id, MAX_GRACE_MS, ADMIN)).resolves.toMatchObject({ id: key.id });
  });
});
