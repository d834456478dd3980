/**
 * Key lifecycle rules shared by the CLI and the management API: create, change,
 * disable/enable, revoke, rotate with grace, end grace. Every change is one
 * transaction that also writes the audit row and the key_changes entry the
 * other nodes follow, so nothing is half-done and every node hears of it.
 */
import { keyStatus, type KeyStatus } from '../core/access.js';
import { parseCidr } from '../core/client-ip.js';
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import { type Environment, displayHint, generateKey, keyDigest } from '../core/keys.js';
import { DEFAULT_TIER, type Tier, isTier, resolveLimits, tierRank } from '../core/limits.js';
import { ApiError } from '../core/problems.js';
import { parseScopes } from '../core/scopes.js';
import { type Actor, appendAudit } from '../store/audit-repo.js';
import { type KeyRow, type SecretRow, findKeyRow, recordKeyChange, secretsOf } from '../store/keys-repo.js';
import type { Store } from '../store/db.js';
import { inTransaction } from '../store/transactions.js';
import { enqueueEvent } from '../webhooks/outbox.js';
import { isoTime as iso } from '../core/iso-time.js';

export const MAX_GRACE_MS = 7 * 86_400_000;
const MAX_OVERRIDE = 1_000_000_000;

export interface KeyView {
  id: string;
  name: string;
  environment: Environment;
  org_id: string;
  tenant_id: string;
  scopes: string[];
  tier: Tier;
  limits: { per_minute: number; per_day: number };
  limit_overrides: { per_minute: number | null; per_day: number | null };
  status: KeyStatus;
  active: boolean;
  hint: string;
  expires_at: string | null;
  allowed_ips: string[];
  created_at: string;
  updated_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
  secrets: { id: string; hint: string; created_at: string; retires_at: string | null; last_used_at: string | null; live: boolean }[];
}

export interface CreatedKey extends KeyView {
  /** The full key, shown exactly once. */
  key: string;
}

export interface CreateKeyInput {
  orgId: string;
  environment: Environment;
  name: string;
  scopes: readonly string[];
  tier?: string | undefined;
  perMinute?: number | null | undefined;
  perDay?: number | null | undefined;
  expiresAt?: number | null | undefined;
  allowedIps?: readonly string[] | undefined;
}

export interface KeyPatch {
  name?: string;
  scopes?: readonly string[];
  tier?: string;
  perMinute?: number | null;
  perDay?: number | null;
  active?: boolean;
  expiresAt?: number | null;
  allowedIps?: readonly string[];
}

/** Notified after commit, so this node's cache can drop a key at once. */
export type KeyChangeListener = (keyId: string, newDigest: string | null) => void;


export class KeyService {
  private listeners: KeyChangeListener[] = [];

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  onChange(listener: KeyChangeListener): void {
    this.listeners.push(listener);
  }

  async create(input: CreateKeyInput, actor: Actor): Promise<CreatedKey> {
    const now = this.clock.now();
    const name = validName(input.name);
    const scopes = validScopes(input.scopes);
    const tier = validTier(input.tier ?? DEFAULT_TIER);
    const perMinute = validOverride('per-minute', input.perMinute);
    const perDay = validOverride('per-day', input.perDay);
    const allowedIps = validIps(input.allowedIps ?? []);
    if (input.expiresAt != null && input.expiresAt <= now) throw badInput('expires_at', 'must be in the future');
    const org = await this.store.db.selectFrom('orgs').select(['id', 'max_tier']).where('id', '=', input.orgId).executeTakeFirst();
    if (!org) throw new ApiError('not_found', `org ${input.orgId} not found`);
    if (actor.type === 'admin') {
      if (tierRank(tier) > tierRank(org.max_tier as Tier)) throw new ApiError('forbidden', `tier ${tier} is above this org's maximum tier ${org.max_tier}`);
      if (perMinute !== null || perDay !== null) throw new ApiError('forbidden', 'per-key limit overrides are set by operators only');
    }
    const tenant = await this.store.db
      .selectFrom('tenants')
      .select('id')
      .where('org_id', '=', input.orgId)
      .where('environment', '=', input.environment)
      .executeTakeFirstOrThrow();
    const secret = generateKey(input.environment);
    const keyId = newId('key', now);
    const digest = keyDigest(secret);
    await this.store.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('api_keys')
        .values({
          id: keyId,
          org_id: input.orgId,
          tenant_id: tenant.id,
          environment: input.environment,
          name,
          scopes: JSON.stringify(scopes),
          tier,
          per_minute: perMinute,
          per_day: perDay,
          active: 1,
          expires_at: input.expiresAt ?? null,
          allowed_ips: JSON.stringify(allowedIps),
          revoked_at: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await tx
        .insertInto('api_key_secrets')
        .values({ id: newId('sec', now), key_id: keyId, digest, hint: displayHint(secret), created_at: now, retires_at: null })
        .execute();
      await recordKeyChange(tx, keyId, 'created', now, digest);
      await appendAudit(tx, actor, { orgId: input.orgId, tenantId: tenant.id, keyId, action: 'api_key.created', after: { name, environment: input.environment, scopes, tier, per_minute: perMinute, per_day: perDay, expires_at: iso(input.expiresAt ?? null), allowed_ips: allowedIps } }, now);
    });
    this.emit(keyId, digest);
    return { ...(await this.require(keyId)), key: secret };
  }

  async list(orgId: string, environment?: Environment): Promise<KeyView[]> {
    let q = this.store.db.selectFrom('api_keys').selectAll().where('org_id', '=', orgId);
    if (environment) q = q.where('environment', '=', environment);
    const rows = await q.orderBy('id', 'desc').execute();
    const secrets = await secretsOf(this.store.db, rows.map((r) => r.id));
    return rows.map((r) => this.view(r, secrets.filter((s) => s.key_id === r.id)));
  }

  async get(keyId: string): Promise<KeyView | null> {
    const row = await findKeyRow(this.store.db, keyId);
    return row ? this.view(row, await secretsOf(this.store.db, [keyId])) : null;
  }

  async require(keyId: string, orgId?: string): Promise<KeyView> {
    const key = await this.get(keyId);
    if (!key || (orgId !== undefined && key.org_id !== orgId)) throw new ApiError('not_found', `key ${keyId} not found`);
    return key;
  }

  async update(keyId: string, patch: KeyPatch, actor: Actor, orgId?: string): Promise<KeyView> {
    const now = this.clock.now();
    const before = await this.require(keyId, orgId);
    const changes: Partial<KeyRow> = {};
    if (patch.name !== undefined) changes.name = validName(patch.name);
    if (patch.scopes !== undefined) changes.scopes = JSON.stringify(validScopes(patch.scopes));
    if (patch.tier !== undefined) changes.tier = validTier(patch.tier);
    if (patch.perMinute !== undefined) changes.per_minute = validOverride('per-minute', patch.perMinute);
    if (patch.perDay !== undefined) changes.per_day = validOverride('per-day', patch.perDay);
    if (patch.active !== undefined) changes.active = patch.active ? 1 : 0;
    if (patch.allowedIps !== undefined) changes.allowed_ips = JSON.stringify(validIps(patch.allowedIps));
    if (patch.expiresAt !== undefined) {
      if (patch.expiresAt !== null && patch.expiresAt <= now) throw badInput('expires_at', 'must be in the future');
      changes.expires_at = patch.expiresAt;
    }
    if (before.status === 'revoked') throw new ApiError('conflict', `key ${keyId} is revoked; a revoked key cannot be changed`);
    if (actor.type === 'admin') {
      if (changes.per_minute !== undefined || changes.per_day !== undefined) throw new ApiError('forbidden', 'per-key limit overrides are set by operators only');
      if (changes.tier !== undefined) await this.assertTierAllowed(before.org_id, changes.tier as Tier);
    }
    if (Object.keys(changes).length === 0) return before;
    const action = patch.active === false ? 'api_key.disabled' : patch.active === true ? 'api_key.enabled' : 'api_key.updated';
    await this.store.db.transaction().execute(async (tx) => {
      // A new expiry may pass again: its first use after that is audited again.
      const marker = changes.expires_at !== undefined ? { expiry_audited_at: null } : {};
      await tx.updateTable('api_keys').set({ ...changes, ...marker, updated_at: now }).where('id', '=', keyId).execute();
      await recordKeyChange(tx, keyId, action, now);
      await appendAudit(tx, actor, { orgId: before.org_id, tenantId: before.tenant_id, keyId, action, before: pick(before, changes), after: pick(await this.requireIn(tx, keyId), changes) }, now);
    });
    this.emit(keyId, null);
    return this.require(keyId);
  }

  async revoke(keyId: string, actor: Actor, orgId?: string): Promise<KeyView> {
    const now = this.clock.now();
    const before = await this.require(keyId, orgId);
    if (before.status === 'revoked') return before;
    await inTransaction(this.store.db, async (tx) => {
      await tx.updateTable('api_keys').set({ revoked_at: now, updated_at: now }).where('id', '=', keyId).execute();
      await recordKeyChange(tx, keyId, 'revoked', now);
      await enqueueEvent(tx, { tenantId: before.tenant_id, type: 'api_key.revoked', data: { ...keyEventData(before), revoked_at: iso(now) } }, now);
      await appendAudit(tx, actor, { orgId: before.org_id, tenantId: before.tenant_id, keyId, action: 'api_key.revoked', before: { status: before.status }, after: { status: 'revoked' } }, now);
    });
    this.emit(keyId, null);
    return this.require(keyId);
  }

  /**
   * Replaces the secret. The old one stays valid for `graceMs` (0 = ends now);
   * any older secret still in its grace ends at once, so at most two are live.
   */
  async rotate(keyId: string, graceMs: number, actor: Actor, orgId?: string): Promise<CreatedKey> {
    const now = this.clock.now();
    if (!Number.isInteger(graceMs) || graceMs < 0 || graceMs > MAX_GRACE_MS) throw badInput('grace', 'must be between 0 and 7 days');
    const before = await this.require(keyId, orgId);
    if (before.status === 'revoked') throw new ApiError('conflict', `key ${keyId} is revoked and cannot be rotated`);
    const secret = generateKey(before.environment);
    const digest = keyDigest(secret);
    await inTransaction(this.store.db, async (tx) => {
      // End every earlier grace now, then put the current secret into its grace.
      await tx.updateTable('api_key_secrets').set({ retires_at: now }).where('key_id', '=', keyId).where('retires_at', '>', now).execute();
      await tx.updateTable('api_key_secrets').set({ retires_at: now + graceMs }).where('key_id', '=', keyId).where('retires_at', 'is', null).execute();
      await tx
        .insertInto('api_key_secrets')
        .values({ id: newId('sec', now), key_id: keyId, digest, hint: displayHint(secret), created_at: now, retires_at: null })
        .execute();
      await tx.updateTable('api_keys').set({ updated_at: now }).where('id', '=', keyId).execute();
      await recordKeyChange(tx, keyId, 'rotated', now, digest);
      await enqueueEvent(tx, { tenantId: before.tenant_id, type: 'api_key.rotated', data: { ...keyEventData(before), previous_secret_retires_at: iso(now + graceMs) } }, now);
      await appendAudit(tx, actor, { orgId: before.org_id, tenantId: before.tenant_id, keyId, action: 'api_key.rotated', before: { hint: before.hint }, after: { hint: displayHint(secret), grace_period_seconds: graceMs / 1000 } }, now);
    });
    this.emit(keyId, digest);
    return { ...(await this.require(keyId)), key: secret };
  }

  /**
   * Audits the first use of a key after it expired ("expired" is reached by time,
   * not by anyone's action). Called off the request path; the marker column makes
   * it happen once however many requests and nodes see the expired key. Returns
   * whether this call wrote the entry.
   */
  async auditExpiredUse(keyId: string, sourceIp: string | null): Promise<boolean> {
    const now = this.clock.now();
    return this.store.db.transaction().execute(async (tx) => {
      const claimed = await tx
        .updateTable('api_keys')
        .set({ expiry_audited_at: now })
        .where('id', '=', keyId)
        .where('expiry_audited_at', 'is', null)
        .where('expires_at', '<=', now)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 0) return false;
      const row = (await findKeyRow(tx, keyId))!;
      await appendAudit(
        tx,
        { type: 'system', id: 'expiry', ip: sourceIp },
        { orgId: row.org_id, tenantId: row.tenant_id, keyId, action: 'api_key.expired', before: { status: row.active === 1 ? 'active' : 'disabled' }, after: { status: 'expired', expires_at: iso(row.expires_at) } },
        now,
      );
      return true;
    });
  }

  /** Ends any running grace now: the containment step for a leak found during a rotation. */
  async endGrace(keyId: string, actor: Actor, orgId?: string): Promise<KeyView> {
    const now = this.clock.now();
    const before = await this.require(keyId, orgId);
    await this.store.db.transaction().execute(async (tx) => {
      const result = await tx.updateTable('api_key_secrets').set({ retires_at: now }).where('key_id', '=', keyId).where('retires_at', '>', now).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return;
      await recordKeyChange(tx, keyId, 'grace_ended', now);
      await appendAudit(tx, actor, { orgId: before.org_id, tenantId: before.tenant_id, keyId, action: 'api_key.grace_ended' }, now);
    });
    this.emit(keyId, null);
    return this.require(keyId);
  }

  private async assertTierAllowed(orgId: string, tier: Tier): Promise<void> {
    const org = await this.store.db.selectFrom('orgs').select('max_tier').where('id', '=', orgId).executeTakeFirstOrThrow();
    if (tierRank(tier) > tierRank(org.max_tier as Tier)) throw new ApiError('forbidden', `tier ${tier} is above this org's maximum tier ${org.max_tier}`);
  }

  private async requireIn(tx: Parameters<typeof findKeyRow>[0], keyId: string): Promise<KeyView> {
    const row = (await findKeyRow(tx, keyId))!;
    return this.view(row, await secretsOf(tx, [keyId]));
  }

  private emit(keyId: string, digest: string | null): void {
    for (const l of this.listeners) l(keyId, digest);
  }

  private view(row: KeyRow, secrets: SecretRow[]): KeyView {
    const now = this.clock.now();
    const current = secrets.find((s) => s.retires_at === null) ?? secrets[0];
    const lastUsed = secrets.reduce<number | null>((m, s) => (s.last_used_at !== null && (m === null || s.last_used_at > m) ? s.last_used_at : m), null);
    const tier = row.tier as Tier;
    const limits = resolveLimits(tier, { perMinute: row.per_minute, perDay: row.per_day });
    return {
      id: row.id,
      name: row.name,
      environment: row.environment,
      org_id: row.org_id,
      tenant_id: row.tenant_id,
      scopes: JSON.parse(row.scopes) as string[],
      tier,
      limits: { per_minute: limits.perMinute, per_day: limits.perDay },
      limit_overrides: { per_minute: row.per_minute, per_day: row.per_day },
      status: keyStatus({ active: row.active === 1, expiresAt: row.expires_at, revokedAt: row.revoked_at }, now),
      active: row.active === 1,
      hint: current?.hint ?? '',
      expires_at: iso(row.expires_at),
      allowed_ips: JSON.parse(row.allowed_ips) as string[],
      created_at: iso(row.created_at)!,
      updated_at: iso(row.updated_at)!,
      revoked_at: iso(row.revoked_at),
      last_used_at: iso(lastUsed),
      secrets: secrets.map((s) => ({
        id: s.id,
        hint: s.hint,
        created_at: iso(s.created_at)!,
        retires_at: iso(s.retires_at),
        last_used_at: iso(s.last_used_at),
        live: row.revoked_at === null && (s.retires_at === null || s.retires_at > now),
      })),
    };
  }
}

/** What a webhook receiver learns about a key: never a secret, digest or hint. */
function keyEventData(key: KeyView) {
  return { id: key.id, name: key.name, environment: key.environment, scopes: key.scopes };
}

function badInput(path: string, message: string): ApiError {
  return new ApiError('invalid_request', `${path} ${message}`, { errors: [{ path, message }] });
}

function validName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 200) throw badInput('name', 'must be 1-200 characters');
  return trimmed;
}

function validScopes(names: readonly string[]): string[] {
  const parsed = parseScopes(names);
  if ('unknown' in parsed) throw badInput('scopes', `unknown scope(s): ${parsed.unknown.join(', ')}`);
  return parsed.scopes;
}

function validTier(tier: string): Tier {
  if (!isTier(tier)) throw badInput('tier', `unknown tier "${tier}" (free, standard, premium, enterprise)`);
  return tier;
}

function validOverride(what: string, value: number | null | undefined): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isInteger(value) || value < 1 || value > MAX_OVERRIDE) throw badInput(what, `must be a whole number from 1 to ${MAX_OVERRIDE}`);
  return value;
}

function validIps(cidrs: readonly string[]): string[] {
  if (cidrs.length > 100) throw badInput('allowed_ips', 'at most 100 entries');
  const bad = cidrs.filter((c) => parseCidr(c) === null);
  if (bad.length > 0) throw badInput('allowed_ips', `not an IP address or CIDR: ${bad.join(', ')}`);
  return cidrs.map((c) => c.trim());
}

function pick(view: KeyView, changes: Partial<KeyRow>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of Object.keys(changes)) {
    const field = column === 'per_minute' || column === 'per_day' ? 'limits' : column === 'active' ? 'active' : column;
    out[column] = (view as unknown as Record<string, unknown>)[field];
  }
  return out;
}
