/** Key rows: the queries, nothing else. Rules live in services/keys.ts. */
import type { Kysely, Selectable, Transaction } from 'kysely';
import { parseCidr } from '../core/client-ip.js';
import type { KeyRecord } from '../core/access.js';
import { type Tier, resolveLimits } from '../core/limits.js';
import type { Scope } from '../core/scopes.js';
import type { ApiKeySecretsTable, ApiKeysTable, Database } from './schema.js';

export type Db = Kysely<Database> | Transaction<Database>;
export type KeyRow = Selectable<ApiKeysTable>;
/** A secret with its last-used time (api_key_last_use), null when never used. */
export type SecretRow = Selectable<ApiKeySecretsTable> & { last_used_at: number | null };

export async function findKeyRow(db: Db, keyId: string): Promise<KeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('id', '=', keyId).executeTakeFirst();
}

export async function secretsOf(db: Db, keyIds: readonly string[]): Promise<SecretRow[]> {
  if (keyIds.length === 0) return [];
  return db
    .selectFrom('api_key_secrets as s')
    .leftJoin('api_key_last_use as u', 'u.secret_id', 's.id')
    .selectAll('s')
    .select('u.last_used_at')
    .where('s.key_id', 'in', keyIds)
    .orderBy('s.created_at', 'desc')
    .execute();
}

function recordByDigestQuery(db: Db, digest: string) {
  return db
    .selectFrom('api_key_secrets as s')
    .innerJoin('api_keys as k', 'k.id', 's.key_id')
    .select([
      's.id as secret_id',
      's.retires_at',
      'k.id',
      'k.org_id',
      'k.tenant_id',
      'k.environment',
      'k.name',
      'k.scopes',
      'k.tier',
      'k.per_minute',
      'k.per_day',
      'k.active',
      'k.expires_at',
      'k.revoked_at',
      'k.allowed_ips',
    ])
    .where('s.digest', '=', digest);
}

type RecordQuery = ReturnType<ReturnType<typeof recordByDigestQuery>['compile']>;
const compiledRecordQueries = new WeakMap<Db, RecordQuery | null>();

/**
 * The query compiled once per database handle, then run with each digest as its
 * one parameter: building it anew cost more than SQLite takes to answer it, and
 * every cache miss (a million keys, re-confirmations) pays that.
 */
function recordQuery(db: Db, digest: string): RecordQuery {
  let template = compiledRecordQueries.get(db);
  if (template === undefined) {
    const compiled = recordByDigestQuery(db, '').compile();
    template = compiled.parameters.length === 1 ? compiled : null;
    compiledRecordQueries.set(db, template);
  }
  return template ? { ...template, parameters: [digest] } : recordByDigestQuery(db, digest).compile();
}

/**
 * Records are cached by the hundred thousand, and most of their parts repeat
 * (org and tenant ids, scope sets, limits): equal parts are shared rather than
 * held once per key. They are read-only, so sharing cannot leak a change. The
 * table is bounded; starting it afresh only costs some sharing.
 */
const sharedParts = new Map<string, unknown>();
const MAX_SHARED = 10_000;
const NO_IPS: KeyRecord['allowedIps'] = Object.freeze([]);

function shared<T>(key: string, make: () => T): T {
  const found = sharedParts.get(key) as T | undefined;
  if (found !== undefined) return found;
  if (sharedParts.size >= MAX_SHARED) sharedParts.clear();
  const made = make();
  sharedParts.set(key, made);
  return made;
}

/** The pipeline's one lookup: a digest to the denormalised record, or null. */
export async function findRecordByDigest(db: Db, digest: string): Promise<KeyRecord | null> {
  const row = (await db.executeQuery(recordQuery(db, digest))).rows[0];
  if (!row) return null;
  return {
    keyId: row.id,
    orgId: shared(`org:${row.org_id}`, () => row.org_id),
    tenantId: shared(`tenant:${row.tenant_id}`, () => row.tenant_id),
    environment: shared(`env:${row.environment}`, () => row.environment),
    name: row.name,
    scopes: shared(`scopes:${row.scopes}`, () => new Set(JSON.parse(row.scopes) as Scope[])),
    tier: shared(`tier:${row.tier}`, () => row.tier as Tier),
    limits: shared(`limits:${row.tier}/${row.per_minute}/${row.per_day}`, () => resolveLimits(row.tier as Tier, { perMinute: row.per_minute, perDay: row.per_day })),
    active: row.active === 1,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    allowedIps: row.allowed_ips === '[]' ? NO_IPS : (JSON.parse(row.allowed_ips) as string[]).map((c) => parseCidr(c)).filter((c) => c !== null),
    secretId: row.secret_id,
    secretRetiresAt: row.retires_at,
    limiterState: undefined,
    heldUse: undefined,
  };
}

export async function recordKeyChange(db: Db, keyId: string, kind: string, now: number, digest: string | null = null): Promise<void> {
  await db.insertInto('key_changes').values({ key_id: keyId, kind, digest, created_at: now }).execute();
}
