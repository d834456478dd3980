/** The key lifecycle rules shared by the CLI and the management API, on SQLite and PostgreSQL. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { KEY_PATTERN, displayHint, keyDigest } from '../../src/core/keys.js';
import { ApiError } from '../../src/core/problems.js';
import { KeyService } from '../../src/services/keys.js';
import { type CreatedOrg, OrgService } from '../../src/services/orgs.js';
import { OPERATOR } from '../../src/store/audit-repo.js';
import { type Store, openStore } from '../../src/store/db.js';
import { findRecordByDigest } from '../../src/store/keys-repo.js';
import { testDatabases } from '../helpers/services.js';

const databases = await testDatabases();

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe.each(databases)('KeyService on $name', (database) => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  let store: Store;
  let drop: () => Promise<void>;
  let keys: KeyService;
  let org: CreatedOrg;
  let otherOrg: CreatedOrg;

  beforeAll(async () => {
    const db = await database.create();
    drop = db.drop;
    store = await openStore(db.url);
    keys = new KeyService(store, clock);
    const orgs = new OrgService(store, clock);
    org = await orgs.create('Key Co', { maxTier: 'premium' });
    otherOrg = await orgs.create('Other Co');
  });
  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  const base = () => ({ orgId: org.org.id, environment: 'sandbox' as const, name: 'sync', scopes: ['knowledge:read'] });

  describe('create', () => {
    it('makes a key in the tenant of its environment, shown once, stored as digest + hint', async () => {
      const created = await keys.create({ ...base(), environment: 'production', scopes: ['knowledge:write', 'knowledge:read'] }, OPERATOR);
      expect(created.key).toMatch(KEY_PATTERN);
      expect(created.key.startsWith('sa_live_')).toBe(true);
      expect(created).toMatchObject({
        environment: 'production',
        tenant_id: org.tenants.production.id,
        org_id: org.org.id,
        name: 'sync',
        scopes: ['knowledge:read', 'knowledge:write'],
        tier: 'standard',
        limits: { per_minute: 600, per_day: 100_000 },
        limit_overrides: { per_minute: null, per_day: null },
        status: 'active',
        active: true,
        hint: displayHint(created.key),
        expires_at: null,
        allowed_ips: [],
        revoked_at: null,
        last_used_at: null,
      });
      expect(created.id).toMatch(/^key_[0-9a-z]{26}$/);
      // Storage holds the digest and the hint, never the key.
      const secrets = await store.db.selectFrom('api_key_secrets').selectAll().where('key_id', '=', created.id).execute();
      expect(secrets).toHaveLength(1);
      expect(secrets[0]!.digest).toBe(keyDigest(created.key));
      const everything = JSON.stringify([
        await store.db.selectFrom('api_keys').selectAll().execute(),
        secrets,
        await store.db.selectFrom('audit_log').selectAll().execute(),
        await store.db.selectFrom('key_changes').selectAll().execute(),
      ]);
      expect(everything).not.toContain(created.key);
      expect(everything).not.toContain(created.key.slice(8, 48));
      expect((await findRecordByDigest(store.db, keyDigest(created.key)))?.keyId).toBe(created.id);
      // A view never carries the secret again.
      expect(await keys.get(created.id)).not.toHaveProperty('key');
    });

    it('takes a tier and per-key overrides (which may exceed the tier), an expiry and an allowlist', async () => {
      const created = await keys.create(
        { ...base(), tier: 'free', perMinute: 100_000, perDay: 5, expiresAt: clock.now() + 86_400_000, allowedIps: ['10.0.0.0/8', '2001:db8::1'] },
        OPERATOR,
      );
      expect(created).toMatchObject({
        tier: 'free',
        limits: { per_minute: 100_000, per_day: 5 },
        limit_overrides: { per_minute: 100_000, per_day: 5 },
        expires_at: new Date(clock.now() + 86_400_000).toISOString(),
        allowed_ips: ['10.0.0.0/8', '2001:db8::1'],
      });
    });

    it.each([
      ['an empty name', { name: '  ' }, 'name'],
      ['a name over 200 characters', { name: 'x'.repeat(201) }, 'name'],
      ['an unknown scope', { scopes: ['knowledge:read', 'knowledge:admin'] }, 'scopes'],
      ['an unknown tier', { tier: 'gold' }, 'tier'],
      ['a bad CIDR', { allowedIps: ['10.0.0.0/8', '10.0.0.0/40'] }, 'allowed_ips'],
      ['an expiry in the past', { expiresAt: Date.UTC(2026, 5, 1, 11) }, 'expires_at'],
      ['an expiry of right now', { expiresAt: Date.UTC(2026, 5, 1, 12) }, 'expires_at'],
      ['a zero override', { perMinute: 0 }, 'per-minute'],
      ['a fractional override', { perDay: 1.5 }, 'per-day'],
    ])('refuses %s with 400 invalid_request and writes nothing', async (_name, patch, path) => {
      const before = (await keys.list(org.org.id)).length;
      const error = await refusal(keys.create({ ...base(), ...patch }, OPERATOR));
      expect(error.code).toBe('invalid_request');
      expect((error.extras.errors as { path: string }[])[0]!.path).toBe(path);
      expect(await keys.list(org.org.id)).toHaveLength(before);
    });

    it('accepts names of exactly 1 and 200 characters', async () => {
      expect((await keys.create({ ...base(), name: 'x' }, OPERATOR)).name).toBe('x');
      expect((await keys.create({ ...base(), name: 'y'.repeat(200) }, OPERATOR)).name).toHaveLength(200);
    });

    it('an unknown org is 404', async () => {
      expect((await refusal(keys.create({ ...base(), orgId: 'org_nope' }, OPERATOR))).code).toBe('not_found');
    });
  });

  describe('list and get', () => {
    it('lists an org’s keys newest first, optionally per environment, without secrets', async () => {
      const a = await keys.create({ ...base(), orgId: otherOrg.org.id, name: 'a' }, OPERATOR);
      clock.advance(1);
      const b = await keys.create({ ...base(), orgId: otherOrg.org.id, environment: 'production', name: 'b' }, OPERATOR);
      const all = await keys.list(otherOrg.org.id);
      expect(all.map((k) => k.id)).toEqual([b.id, a.id]);
      expect(JSON.stringify(all)).not.toContain(a.key);
      expect((await keys.list(otherOrg.org.id, 'sandbox')).map((k) => k.id)).toEqual([a.id]);
      expect((await keys.list(org.org.id)).map((k) => k.id)).not.toContain(a.id);
    });

    it('get returns the view or null; require scoped to an org refuses other orgs’ keys', async () => {
      const k = await keys.create(base(), OPERATOR);
      expect((await keys.get(k.id))?.name).toBe('sync');
      expect(await keys.get('key_nope')).toBeNull();
      expect((await refusal(keys.require(k.id, otherOrg.org.id))).code).toBe('not_found');
    });
  });

  describe('update, disable, enable, revoke', () => {
    it('changes name, scopes, tier and overrides; validates like create', async () => {
      const k = await keys.create(base(), OPERATOR);
      const changed = await keys.update(k.id, { name: 'renamed', scopes: ['contacts:read'], tier: 'premium', perMinute: 7 }, OPERATOR);
      expect(changed).toMatchObject({ name: 'renamed', scopes: ['contacts:read'], tier: 'premium', limits: { per_minute: 7, per_day: 1_000_000 } });
      expect((await refusal(keys.update(k.id, { scopes: ['nope'] }, OPERATOR))).code).toBe('invalid_request');
      expect((await refusal(keys.update(k.id, { name: '' }, OPERATOR))).code).toBe('invalid_request');
      expect((await refusal(keys.update(k.id, { tier: 'gold' }, OPERATOR))).code).toBe('invalid_request');
      expect((await keys.get(k.id))?.name).toBe('renamed');
      // Clearing an override falls back to the tier.
      expect((await keys.update(k.id, { perMinute: null }, OPERATOR)).limits.per_minute).toBe(3_000);
    });

    it('disable and enable are reversible, and the stored record follows', async () => {
      const k = await keys.create(base(), OPERATOR);
      const disabled = await keys.update(k.id, { active: false }, OPERATOR);
      expect(disabled).toMatchObject({ status: 'disabled', active: false });
      expect((await findRecordByDigest(store.db, keyDigest(k.key)))?.active).toBe(false);
      expect(await keys.update(k.id, { active: true }, OPERATOR)).toMatchObject({ status: 'active', active: true });
    });

    it('revoke is permanent: later changes are 409 conflict, revoking again is a no-op', async () => {
      const k = await keys.create(base(), OPERATOR);
      const revoked = await keys.revoke(k.id, OPERATOR);
      expect(revoked.status).toBe('revoked');
      expect(revoked.revoked_at).toBe(new Date(clock.now()).toISOString());
      expect((await findRecordByDigest(store.db, keyDigest(k.key)))?.revokedAt).toBe(clock.now());
      expect((await refusal(keys.update(k.id, { active: true }, OPERATOR))).code).toBe('conflict');
      clock.advance(1_000);
      expect((await keys.revoke(k.id, OPERATOR)).revoked_at).toBe(revoked.revoked_at);
    });

    it('every change is announced on the change feed table and to local listeners', async () => {
      const heard: string[] = [];
      keys.onChange((keyId) => heard.push(keyId));
      const k = await keys.create(base(), OPERATOR);
      await keys.update(k.id, { active: false }, OPERATOR);
      await keys.update(k.id, { active: true }, OPERATOR);
      await keys.revoke(k.id, OPERATOR);
      const kinds = (await store.db.selectFrom('key_changes').select(['kind', 'digest']).where('key_id', '=', k.id).orderBy('seq').execute());
      expect(kinds).toHaveLength(4);
      // The creation carries the new digest, so nodes drop it from their unknown-key cache.
      expect(kinds[0]!.digest).toBe(keyDigest(k.key));
      expect(heard.filter((id) => id === k.id)).toHaveLength(4);
    });

    it('changing an unknown key is 404', async () => {
      expect((await refusal(keys.update('key_nope', { active: false }, OPERATOR))).code).toBe('not_found');
      expect((await refusal(keys.revoke('key_nope', OPERATOR))).code).toBe('not_found');
    });
  });
});
