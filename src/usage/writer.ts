/**
 * One batch of usage events → one transaction: the request log's block of
 * them (event-blocks.ts), the per-minute rollups they add to, and each
 * secret's last-used time. Rollups are merged with
 * `count = count + n` upserts, so many nodes can write at once, and their rows
 * are written in a fixed order so two writers never deadlock.
 *
 * Hour and day rollups are not written here: minute rollups are folded into
 * hour rollups, and those into day rollups, as they age (retention.ts), and
 * usage queries add up the tiers. A second upsert per request was a third of
 * the cost of recording with many keys (bench keys-1M), for rows that only
 * long windows read.
 */
import type { Insertable, Kysely, Transaction } from 'kysely';
import { LATENCY_BUCKETS, latencyBucket } from '../core/latency.js';
import { LATENCY_COLUMNS, type ApiKeyLastUseTable, type Database, type LatencyColumn, type UsageRollupsTable } from '../store/schema.js';
import { type EventBlockRow, type LoggedEvent, eventBlocks } from './event-blocks.js';

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
  /**
   * The key record the request used, when it has one: the request thread's
   * writer keeps what it holds for the secret on it (held-usage.ts) and skips a
   * map lookup per event. Never written or sent to the writer thread.
   */
  holder?: HeldUseHolder;
}

/** An object kept for one secret (the key record), on which a writer may keep its state for it. */
export interface HeldUseHolder {
  heldUse: unknown;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
// Stays well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters per statement.
const ROLLUP_ROWS_PER_UPSERT = 500;

export type RollupRow = UsageRollupsTable;
/** A rollup row that may leave out histogram columns (they default to 0). */
export type RollupInsert = Omit<RollupRow, LatencyColumn> & Partial<Pick<RollupRow, LatencyColumn>>;

type Db = Kysely<Database> | Transaction<Database>;

/**
 * A secret's last-used time is written at most once per clock minute by each
 * writer (so it always names the minute of the latest use):
 * with many keys the update was one random page write per key per batch, the
 * largest single cost of recording (bench/run.js keys-1M). What it shows is
 * therefore exact to the minute. Remembered only after the commit, so a failed
 * write is not mistaken for a written one.
 */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** The clock minute a time falls in, as a count of minutes: what the last-used throttle compares. */
export const minuteOf = (ts: number) => Math.floor(ts / LAST_USED_RESOLUTION_MS);

export class LastUseThrottle {
  private readonly written = new Map<string, number>();

  constructor(private readonly max = 200_000) {}

  /** The secrets of a batch whose last-used time needs writing, with that time, in a fixed order. */
  due(batch: readonly UsageEvent[]): [secretId: string, ts: number][] {
    // Most events are of a secret already written in their minute: skipped with one lookup, before any sorting.
    const due = new Map<string, number>();
    for (const e of batch) {
      if (!e.secretId || minuteOf(e.ts) <= minuteOf(this.written.get(e.secretId) ?? Number.NEGATIVE_INFINITY)) continue;
      if (e.ts > (due.get(e.secretId) ?? 0)) due.set(e.secretId, e.ts);
    }
    return [...due].sort(([a], [b]) => (a < b ? -1 : 1));
  }

  committed(written: readonly [secretId: string, ts: number][]): void {
    // Bounded: forgetting only costs a write the next time.
    if (this.written.size + written.length > this.max) this.written.clear();
    for (const [secretId, ts] of written) this.written.set(secretId, ts);
  }
}

// The three statements, built once here for both the Kysely path below and the
// prepared-statement path of the SQLite writer thread (sqlite-batch.ts).
export const usageStatements = {
  insertEventBlock: (db: Db, row: EventBlockRow) => db.insertInto('usage_event_blocks').values(row),
  upsertRollups: (db: Db, rows: RollupInsert[]) =>
    db
      .insertInto('usage_rollups')
      // The histogram columns left out default to 0.
      .values(rows as RollupRow[])
      .onConflict((oc) =>
        oc.columns(['key_id', 'period', 'bucket_start', 'route', 'status']).doUpdateSet((eb) => {
          const set: Record<string, unknown> = {
            count: eb('usage_rollups.count', '+', eb.ref('excluded.count')),
            latency_ms_sum: eb('usage_rollups.latency_ms_sum', '+', eb.ref('excluded.latency_ms_sum')),
          };
          // Only the histogram columns the rows carry: a statement for one bucket adds to that bucket alone.
          for (const c of LATENCY_COLUMNS) if (c in rows[0]!) set[c] = eb(`usage_rollups.${c}`, '+', eb.ref(`excluded.${c}`));
          return set as never;
        }),
      ),
  /** Adds one rollup to its existing row (SQLite's writer, which holds the write lock, inserts when there is none). */
  addToRollup: (db: Db, row: RollupInsert) =>
    db
      .updateTable('usage_rollups')
      .set((eb) => {
        const set: Record<string, unknown> = { count: eb('count', '+', row.count), latency_ms_sum: eb('latency_ms_sum', '+', row.latency_ms_sum) };
        for (const c of LATENCY_COLUMNS) if (c in row) set[c] = eb(c, '+', row[c]!);
        return set as never;
      })
      .where('key_id', '=', row.key_id)
      .where('period', '=', row.period)
      .where('bucket_start', '=', row.bucket_start)
      .where('route', '=', row.route)
      .where('status', '=', row.status),
  /** Raises secrets' last-used times (store/migrations/010-last-use-table.ts), never lowers one. */
  touchSecrets: (db: Db, rows: Insertable<ApiKeyLastUseTable>[]) =>
    db
      .insertInto('api_key_last_use')
      .values(rows)
      .onConflict((oc) =>
        oc
          .column('secret_id')
          .doUpdateSet((eb) => ({ last_used_at: eb.ref('excluded.last_used_at') }))
          .where((eb) => eb('api_key_last_use.last_used_at', '<', eb.ref('excluded.last_used_at'))),
      ),
};

/** Writes events to the request log, a row per block of them. */
export async function insertEventBlocks(db: Db, events: readonly LoggedEvent[]): Promise<void> {
  for (const block of eventBlocks(events)) await usageStatements.insertEventBlock(db, block).execute();
}

/** Adds rollup rows into the table, in statements of ROLLUP_ROWS_PER_UPSERT. */
export async function upsertRollupRows(db: Db, rows: readonly RollupRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROLLUP_ROWS_PER_UPSERT) await usageStatements.upsertRollups(db, rows.slice(i, i + ROLLUP_ROWS_PER_UPSERT)).execute();
}

export async function writeUsageBatch(db: Kysely<Database>, batch: readonly UsageEvent[], lastUse = new LastUseThrottle()): Promise<void> {
  if (batch.length === 0) return;
  const rollups = rollUp(batch).map(rollupRow);
  const touches = lastUse.due(batch);
  await db.transaction().execute(async (tx) => {
    await insertEventBlocks(tx, batch);
    await upsertRollupRows(tx, rollups);
    // One statement: the throttle gives each secret once, which PostgreSQL's upsert needs.
    if (touches.length > 0) await usageStatements.touchSecrets(tx, touches.map(([secret_id, last_used_at]) => ({ secret_id, last_used_at }))).execute();
  });
  lastUse.committed(touches);
}

/** Where a batch goes: straight into a database, or to a worker thread that writes it. */
export interface BatchWriter {
  /** The batch size this writer works best with, when it has a preference. */
  readonly batchSize?: number;
  write(batch: readonly UsageEvent[]): Promise<void>;
  /** For a writer that holds rollups across batches (held-usage.ts): writes those due, or `all` of them. */
  drainHeld?(all: boolean): Promise<void>;
  close(): Promise<void>;
}

/** Writes on the calling thread (PostgreSQL, whose I/O is asynchronous anyway; in-memory SQLite). */
export function directWriter(db: Kysely<Database>): BatchWriter {
  const lastUse = new LastUseThrottle();
  return { write: (batch) => writeUsageBatch(db, batch, lastUse), close: async () => {} };
}

/**
 * A rollup being built: its key columns, and what merges into the row (the
 * latency histogram as an array, so building one is not a store to each of 15
 * named columns; `rollupRow` spells them out for Kysely).
 */
export type Rollup = Omit<RollupRow, LatencyColumn> & { histogram: number[] };

/**
 * Rollups by key id, then found by a scan of that key's few: an event's key id
 * is the key record's own string, whose hash V8 keeps, where an id made of
 * all four key columns was a new string to build and hash per event.
 */
class RollupSet {
  private readonly byKey = new Map<string, Rollup[]>();

  /** The rollup for one primary key, made empty the first time. */
  get(keyId: string, period: Rollup['period'], start: number, route: string, status: number, requiredScopes: string): Rollup {
    let rollups = this.byKey.get(keyId);
    if (!rollups) this.byKey.set(keyId, (rollups = []));
    for (const r of rollups) if (r.bucket_start === start && r.status === status && r.route === route && r.period === period) return r;
    const rollup: Rollup = { key_id: keyId, period, bucket_start: start, route, status, required_scopes: requiredScopes, count: 0, latency_ms_sum: 0, histogram: new Array<number>(LATENCY_BUCKETS).fill(0) };
    rollups.push(rollup);
    return rollup;
  }

  sorted(): Rollup[] {
    return [...this.byKey.values()].flat().sort(byPrimaryKey);
  }
}

/** The start of the minute an event's time falls in: its minute rollup's `bucket_start`. */
export function minuteStart(ts: number): number {
  return ts - (ts % MINUTE_MS);
}

/** Counts one event into its rollup. */
export function countEvent(rollup: Rollup, e: UsageEvent): void {
  rollup.count++;
  rollup.latency_ms_sum += e.latencyMs;
  rollup.histogram[latencyBucket(e.latencyMs)]!++;
}

/** Folds events into per-minute rollups, sorted by primary key. */
export function rollUp(batch: readonly UsageEvent[]): Rollup[] {
  const minutes = new RollupSet();
  for (const e of batch) countEvent(minutes.get(e.keyId, 'minute', minuteStart(e.ts), e.route, e.status, e.requiredScopes), e);
  return minutes.sorted();
}

/** Each rollup period's length. */
export const PERIOD_MS: Readonly<Record<RollupRow['period'], number>> = { minute: MINUTE_MS, hour: HOUR_MS, day: DAY_MS };

/** Folds rollups of shorter periods into rollups of `period` (hour or day), sorted by primary key. */
export function foldInto(period: 'hour' | 'day', rollups: Iterable<Rollup>): Rollup[] {
  const folded = new RollupSet();
  const ms = PERIOD_MS[period];
  for (const m of rollups) {
    if (PERIOD_MS[m.period] >= ms) throw new RangeError(`a ${m.period} rollup does not fold into ${period}s`);
    const rollup = folded.get(m.key_id, period, m.bucket_start - (m.bucket_start % ms), m.route, m.status, m.required_scopes);
    rollup.count += m.count;
    rollup.latency_ms_sum += m.latency_ms_sum;
    for (let i = 0; i < LATENCY_BUCKETS; i++) rollup.histogram[i]! += m.histogram[i]!;
  }
  return folded.sorted();
}

/** A rollup as read from its table row. */
export function rollupOf(row: RollupRow): Rollup {
  const { key_id, period, bucket_start, route, status, required_scopes } = row;
  return { key_id, period, bucket_start: Number(bucket_start), route, status, required_scopes, count: Number(row.count), latency_ms_sum: Number(row.latency_ms_sum), histogram: LATENCY_COLUMNS.map((c) => Number(row[c])) };
}

/** The table row of a rollup. */
export function rollupRow(r: Rollup): RollupRow {
  const row = { key_id: r.key_id, period: r.period, bucket_start: r.bucket_start, route: r.route, status: r.status, required_scopes: r.required_scopes, count: r.count, latency_ms_sum: r.latency_ms_sum } as RollupRow;
  for (let i = 0; i < LATENCY_BUCKETS; i++) row[LATENCY_COLUMNS[i]!] = r.histogram[i]!;
  return row;
}

export function byPrimaryKey(a: Rollup, b: Rollup): number {
  return compareStrings(a.key_id, b.key_id) || compareStrings(a.period, b.period) || a.bucket_start - b.bucket_start || compareStrings(a.route, b.route) || a.status - b.status;
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
