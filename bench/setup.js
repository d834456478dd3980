// @ts-check
/**
 * Prepares each variant's database from the compiled app (`npm run build`):
 * migrations, one org, the bench key through the real KeyService, and for
 * `keys-1M` a million keys written straight into the tables with the same key
 * format and digest scheme (a million CLI calls would take hours).
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { systemClock } from '#dist/core/clock.js';
import { KEY_PREFIX, generateKey, keyChecksum, keyDigest } from '#dist/core/keys.js';
import { encodeTime } from '#dist/core/ids.js';
import { BENCH_KEY } from '#dist/http/bench-baseline.js';
import { KeyService } from '#dist/services/keys.js';
import { OrgService } from '#dist/services/orgs.js';
import { OPERATOR } from '#dist/store/audit-repo.js';
import { openStore } from '#dist/store/db.js';

const ROWS = 100;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * A migrated database with one org and the bench key (high per-key overrides:
 * never limited during a run, still counted by the limiter).
 * @param {string} dir @param {string} name
 * @returns {Promise<{ dbPath: string, key: string, orgId: string, tenantId: string }>}
 */
export async function prepareKeyedDatabase(dir, name) {
  const dbPath = join(dir, `${name}.db`);
  const store = await openStore(dbPath);
  try {
    const orgs = new OrgService(store, systemClock);
    const keys = new KeyService(store, systemClock);
    const { org, tenants } = await orgs.create(`Bench ${name}`, { maxTier: 'enterprise' });
    const created = await keys.create(
      { orgId: org.id, environment: 'sandbox', name: BENCH_KEY.name, scopes: [...BENCH_KEY.scopes], tier: BENCH_KEY.tier, perMinute: BENCH_KEY.perMinute, perDay: BENCH_KEY.perDay },
      OPERATOR,
    );
    return { dbPath, key: created.key, orgId: org.id, tenantId: tenants.sandbox.id };
  } finally {
    await store.close();
  }
}

/**
 * Well-formed keys (valid checksum) that no database holds, for the `invalid` variants.
 * @param {string} dir @param {number} count
 */
export function writeUnknownKeys(dir, count) {
  const file = join(dir, 'unknown-keys.txt');
  writeFileSync(file, Array.from({ length: count }, () => generateKey('sandbox')).join('\n'));
  return file;
}

/**
 * Adds `total` sandbox keys to a prepared database and writes every
 * (total / spread)-th of them, `spread` in all, to a file for the load generator.
 * Rows go in digest order with ids that grow in the same order, so every index
 * (ids, digests, tenant) is appended to rather than split at random.
 * @param {{ dbPath: string, orgId: string, tenantId: string }} target
 * @param {number} total @param {number} spread @param {string} keysFile
 */
export function insertManyKeys(target, total, spread, keysFile) {
  if (total % ROWS !== 0) throw new Error(`--keys must be a multiple of ${ROWS}`);
  const every = Math.max(1, Math.floor(total / spread));
  /** @type {string[]} */
  const digests = new Array(total);
  /** @type {string[]} */
  const sample = [];
  const random = randomBytes(total * 40);
  for (let i = 0; i < total; i++) {
    let body = KEY_PREFIX.sandbox;
    for (let j = i * 40; j < i * 40 + 40; j++) body += BASE62[(random[j] ?? 0) % 62];
    const token = body + keyChecksum(body);
    digests[i] = keyDigest(token);
    if (i % every === 0 && sample.length < spread) sample.push(token);
  }
  digests.sort();

  const db = new SQLite(target.dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const now = Date.now();
  const time = encodeTime(now);
  const keyRow = `(?, '${target.orgId}', '${target.tenantId}', 'sandbox', ?, '["knowledge:read"]', 'enterprise', NULL, NULL, 1, NULL, '[]', NULL, ${now}, ${now})`;
  const secretRow = `(?, ?, ?, 'sa_test_....', ${now}, NULL)`;
  const insertKeys = db.prepare(`INSERT INTO api_keys (id, org_id, tenant_id, environment, name, scopes, tier, per_minute, per_day, active, expires_at, allowed_ips, revoked_at, created_at, updated_at) VALUES ${Array(ROWS).fill(keyRow).join(',')}`);
  const insertSecrets = db.prepare(`INSERT INTO api_key_secrets (id, key_id, digest, hint, created_at, retires_at) VALUES ${Array(ROWS).fill(secretRow).join(',')}`);
  const fill = db.transaction(() => {
    for (let from = 0; from + ROWS <= total; from += ROWS) {
      /** @type {string[]} */
      const keys = [];
      /** @type {string[]} */
      const secrets = [];
      for (let i = from; i < from + ROWS; i++) {
        // Ids keep the real shape (prefix, time, 16 characters); a zero-padded counter keeps them unique and ordered.
        const serial = i.toString(32).padStart(16, '0');
        keys.push(`key_${time}${serial}`, `bulk ${i}`);
        secrets.push(`sec_${time}${serial}`, `key_${time}${serial}`, /** @type {string} */ (digests[i]));
      }
      insertKeys.run(keys);
      insertSecrets.run(secrets);
    }
  });
  fill();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  writeFileSync(keysFile, sample.join('\n'));
  return sample.length;
}
