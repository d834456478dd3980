/**
 * One batch of usage events → one transaction: the raw rows, the per-minute and
 * per-day rollups they add to, and each secret's last-used time. Rollups are
 * merged with `count = count + n` upserts, so many nodes can write at once, and
 * their rows are written in a fixed order so two writers never deadlock.
 */
import type { Kysely } from 'kysely';
import { LATENCY_BUCKETS, latencyBucket } from '../core/latency.js';
import { LATENCY_COLUMNS, type Database, type UsageRollupsTable } from '../store/schema.js';

export interface UsageEvent {
  keyId: string;
  secretId: string | null;
  ts: number;
  method: string;
  /** `METHOD /v1/path/{template}`. */
  route: string;
  /** The scopes the route requires, space-separated ('' for none). */
  requiredScopes: string;
  status: number;
  latencyMs: number;
  ip: string | null;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
// Stays well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters per statement.
const RAW_ROWS_PER_INSERT = 1_000;
const ROLLUP_ROWS_PER_UPSERT = 500;

type RollupRow = UsageRollupsTable;

export async function writeUsageBatch(db: Kysely<Database>, batch: readonly UsageEvent[]): Promise<void> {
  if (batch.length === 0) return;
  const rollups = rollUp(batch);
  const lastUsed = new Map<string, number>();
  for (const e of batch) if (e.secretId && e.ts > (lastUsed.get(e.secretId) ?? 0)) lastUsed.set(e.secretId, e.ts);
  await db.transaction().execute(async (tx) => {
    for (let i = 0; i < batch.length; i += RAW_ROWS_PER_INSERT) {
      await tx
        .insertInto('usage_events')
        .values(batch.slice(i, i + RAW_ROWS_PER_INSERT).map((e) => ({ key_id: e.keyId, secret_id: e.secretId, ts: e.ts, method: e.method, route: e.route, status: e.status, latency_ms: e.latencyMs, ip: e.ip })))
        .execute();
    }
    for (let i = 0; i < rollups.length; i += ROLLUP_ROWS_PER_UPSERT) {
      await tx
        .insertInto('usage_rollups')
        .values(rollups.slice(i, i + ROLLUP_ROWS_PER_UPSERT))
        .onConflict((oc) =>
          oc.columns(['key_id', 'period', 'bucket_start', 'route', 'status']).doUpdateSet((eb) => {
            const set: Record<string, unknown> = {
              count: eb('usage_rollups.count', '+', eb.ref('excluded.count')),
              latency_ms_sum: eb('usage_rollups.latency_ms_sum', '+', eb.ref('excluded.latency_ms_sum')),
            };
            for (const c of LATENCY_COLUMNS) set[c] = eb(`usage_rollups.${c}`, '+', eb.ref(`excluded.${c}`));
            return set as never;
          }),
        )
        .execute();
    }
    for (const [secretId, ts] of [...lastUsed].sort(([a], [b]) => (a < b ? -1 : 1))) {
      await tx
        .updateTable('api_key_secrets')
        .set({ last_used_at: ts })
        .where('id', '=', secretId)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', ts)]))
        .execute();
    }
  });
}

/** Folds events into rollup rows (minute and day), sorted by primary key. */
export function rollUp(batch: readonly UsageEvent[]): RollupRow[] {
  const rows = new Map<string, RollupRow>();
  for (const e of batch) {
    const bucket = latencyBucket(e.latencyMs);
    for (const [period, size] of [['minute', MINUTE_MS], ['day', DAY_MS]] as const) {
      const start = e.ts - (e.ts % size);
      const id = `${e.keyId}\u0000${period}\u0000${start}\u0000${e.route}\u0000${e.status}`;
      let row = rows.get(id);
      if (!row) {
        row = { key_id: e.keyId, period, bucket_start: start, route: e.route, status: e.status, required_scopes: e.requiredScopes, count: 0, latency_ms_sum: 0 } as RollupRow;
        for (let i = 0; i < LATENCY_BUCKETS; i++) row[LATENCY_COLUMNS[i]!] = 0;
        rows.set(id, row);
      }
      row.count++;
      row.latency_ms_sum += e.latencyMs;
      row[LATENCY_COLUMNS[bucket]!]++;
    }
  }
  return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}
