/**
 * The SQLite writer's fast path: the same statements as writer.ts,
 * compiled by Kysely once and prepared once, then run inside one
 * better-sqlite3 transaction. Re-building and re-preparing a thousand-row
 * statement for every batch cost more than writing the rows.
 *
 * Parameters are bound as arrays in the compiled order (checked when the
 * statement is prepared), built straight from the events and rollups: reading
 * them by column name out of row objects, and better-sqlite3 binding two dozen
 * of them per rollup, was most of the CPU a batch took with many keys
 * (bench keys-1M). A rollup holding one latency bucket, which is every rollup
 * of a key seen once in the batch, goes through a statement naming only that
 * bucket: 9 parameters and 3 additions instead of 23 and 17.
 *
 * A rollup is either first added to its row with a plain UPDATE and inserted
 * only when there is none, or sent straight to the upsert (which tries the
 * insert first). Which is cheaper depends on whether its row exists: with many
 * keys, UPDATE-first saves 0.2-1.1 µs per event while keys come back within
 * their minute, and a failed UPDATE costs 2.3 µs (a probe of the index) when
 * every key starts a new minute (measured in process at 100,000 keys). Rows of
 * one batch tend to be alike, so each batch tries UPDATE-first on its first
 * few rollups and goes on the way most of them went. A guess per key, kept in
 * a map, was itself 1.4 % of the server's time (bench keys-1M).
 * UPDATE-first is safe because the batch's transaction holds SQLite's write
 * lock from its start (`immediate`): no one can insert the row in between.
 *
 * With rollups held (held-usage.ts), a secret's next rollup for a row this
 * writer already wrote adds to it by the rowid the write returned: a search of
 * the table's rowid B-tree alone instead of the primary key's index first (its
 * five columns compared as strings and numbers), 4.3 -> 3.3 µs per row in
 * process with 100,000 keys, and what most rollups are in bench keys-1M, where
 * each key comes back every few seconds within its minute.
 */
import type SQLite from 'better-sqlite3';
import { type CompiledQuery, Kysely, SqliteDialect, sql } from 'kysely';
import { LATENCY_BUCKETS } from '../core/latency.js';
import { LATENCY_COLUMNS, type Database } from '../store/schema.js';
import { eventBlocks } from './event-blocks.js';
import { HeldUsage, type RollupWithRow } from './held-usage.js';
import { type Rollup, type RollupInsert, type UsageEvent, LastUseThrottle, rollUp, usageStatements } from './writer.js';

// Each bound parameter is compiled as a marker naming the row and column it takes its value from.
const MARK = '\u0001';
// Rollups of a batch tried UPDATE-first before the batch picks its way for the rest.
const SAMPLED_ROLLUPS = 8;
// Last-used times go in 50 rows per statement: fewer statement runs, still a small statement.
const ROWS_PER_INSERT = 50;

const TOUCH_COLUMNS = ['secret_id', 'last_used_at'] as const;
const BLOCK_COLUMNS = ['first_ts', 'last_ts', 'count', 'events'] as const;
const ROLLUP_PRIMARY_KEY = ['key_id', 'period', 'bucket_start', 'route', 'status'] as const;
const ROLLUP_ADDED_COLUMNS = ['count', 'latency_ms_sum'] as const;
// An inserted rollup's columns before its histogram ones.
const ROLLUP_KEY_COLUMNS = [...ROLLUP_PRIMARY_KEY, 'required_scopes', ...ROLLUP_ADDED_COLUMNS] as const;

function markerRows(columns: readonly string[], rows: number): Record<string, string>[] {
  return Array.from({ length: rows }, (_, row) => Object.fromEntries(columns.map((c) => [c, `${MARK}${row}:${c}`])));
}

/** Prepares a statement whose parameters must be `rows` × `columns`, in that order. */
function preparePositional(sqlite: SQLite.Database, compiled: CompiledQuery, columns: readonly string[], rows: number): SQLite.Statement {
  const expected = markerRows(columns, rows).flatMap((row) => Object.values(row));
  const actual = compiled.parameters;
  if (actual.length !== expected.length || actual.some((p, i) => p !== expected[i])) {
    throw new Error(`usage statement binds its parameters in an unexpected order: ${actual.slice(0, columns.length).join(',').replaceAll(MARK, '')}`);
  }
  return sqlite.prepare(compiled.sql);
}

/**
 * How long rollups and last-used times are held before they are written in key
 * order (held-usage.ts): each batch's rollups then cost it a slice of a sorted
 * write instead of a random page each. Usage still shows within about 3 s
 * (1.5 s held: peak RSS in bench keys-1M 288-290 MB against the 300 MB bound).
 */
export const USAGE_HOLD_MS = 1_000;
// Fewest held rollups a batch writes when some are due, and most an idle drain writes per transaction.
const MIN_HELD_SLICE = 64;
const IDLE_DRAIN_SLICE = 2_000;

/** Writes one batch in one transaction, synchronously. */
export interface PreparedUsageWriter {
  (batch: readonly UsageEvent[], now?: number): void;
  /**
   * With `holdMs`: writes a slice of the held rollups that are due (of all of them with `all`) in a
   * transaction of its own; true while more are due. Without `all` it does nothing while batches
   * arrive: they write the held rollups.
   */
  drainHeld(all: boolean, now?: number): boolean;
  /** Rollups and last-used times held, not yet written. */
  readonly held: number;
}

/**
 * A writer for one connection. With `holdMs`, rollups are held across batches
 * and written in key order (held-usage.ts); without, each batch writes its own.
 */
export function preparedUsageWriter(sqlite: SQLite.Database, options: { holdMs?: number } = {}): PreparedUsageWriter {
  const compiler = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  const insertBlock = preparePositional(sqlite, usageStatements.insertEventBlock(compiler, markerRows(BLOCK_COLUMNS, 1)[0] as never).compile(), BLOCK_COLUMNS, 1);
  // Each gives the rowid of the row it wrote (`pluck`: the value alone), or undefined when an UPDATE found none.
  const returningRowid = sql<number>`rowid`.as('rowid');
  const upsertRollup = (columns: readonly string[]) =>
    preparePositional(sqlite, usageStatements.upsertRollups(compiler, markerRows(columns, 1) as unknown as RollupInsert[]).returning(returningRowid).compile(), columns, 1).pluck();
  const addToRollup = (histogram: readonly string[]) => {
    const row = markerRows([...ROLLUP_KEY_COLUMNS, ...histogram, 'rowid'], 1)[0]!;
    const add = usageStatements.addToRollup(compiler, row as unknown as RollupInsert);
    const columns = [...ROLLUP_ADDED_COLUMNS, ...histogram, ...ROLLUP_PRIMARY_KEY];
    return {
      add: preparePositional(sqlite, add.returning(returningRowid).compile(), columns, 1).pluck(),
      // By rowid, still naming the whole primary key: a row deleted meanwhile and its rowid reused (retention) is not another's.
      addToRow: preparePositional(sqlite, add.where(sql`rowid`, '=', row.rowid).compile(), [...columns, 'rowid'], 1),
    };
  };
  // The statements for a rollup with these histogram columns: add to its row (by rowid, or by key), or insert it.
  const rollupStatements = (histogram: readonly string[]) => ({ ...addToRollup(histogram), upsert: upsertRollup([...ROLLUP_KEY_COLUMNS, ...histogram]) });
  const whole = rollupStatements(LATENCY_COLUMNS);
  const oneBucket = LATENCY_COLUMNS.map((c) => rollupStatements([c]));
  const touchSecrets = (rows: number) =>
    preparePositional(sqlite, usageStatements.touchSecrets(compiler, markerRows(TOUCH_COLUMNS, rows) as never).compile(), TOUCH_COLUMNS, rows);
  const touchMany = touchSecrets(ROWS_PER_INSERT);
  const touchOne = touchSecrets(1);

  const write = sqlite.transaction((batch: readonly UsageEvent[], rollups: readonly (Rollup | RollupWithRow)[], touches: readonly (readonly [string, number])[]) => {
    // Parameters as arguments, not an array: better-sqlite3 reads an array's elements one by one through V8's
    // API, 0.15 µs more a statement of nine (scratch measurement).
    for (const { first_ts, last_ts, count, events } of eventBlocks(batch)) insertBlock.run(first_ts, last_ts, count, events);
    let tried = 0;
    let found = 0;
    for (const rollup of rollups) {
      const bucket = soleBucket(rollup);
      const { add, addToRow, upsert } = bucket >= 0 ? oneBucket[bucket]! : whole;
      const histogram = bucket >= 0 ? [rollup.count] : rollup.histogram;
      const { key_id, period, bucket_start, route, status, required_scopes, count, latency_ms_sum } = rollup;
      const known = 'rowid' in rollup ? rollup.rowid : 0;
      if (known > 0 && addToRow.run(count, latency_ms_sum, ...histogram, key_id, period, bucket_start, route, status, known).changes > 0) continue;
      const updateFirst = tried < SAMPLED_ROLLUPS || 2 * found >= tried;
      let rowid = updateFirst ? (add.get(count, latency_ms_sum, ...histogram, key_id, period, bucket_start, route, status) as number | undefined) : undefined;
      if (tried < SAMPLED_ROLLUPS) {
        tried++;
        if (rowid !== undefined) found++;
      }
      rowid ??= upsert.get(key_id, period, bucket_start, route, status, required_scopes, count, latency_ms_sum, ...histogram) as number;
      if ('rowid' in rollup) rollup.rowid = rowid;
    }
    let t = 0;
    for (; t + ROWS_PER_INSERT <= touches.length; t += ROWS_PER_INSERT) touchMany.run(touches.slice(t, t + ROWS_PER_INSERT).flat());
    for (; t < touches.length; t++) touchOne.run(...touches[t]!);
  });
  // Each transaction takes the write lock up front; the connection's busy_timeout says whether to wait for it.
  const holdMs = options.holdMs ?? 0;
  if (holdMs <= 0) {
    const lastUse = new LastUseThrottle();
    const writeBatch = (batch: readonly UsageEvent[]) => {
      const touches = lastUse.due(batch);
      write.immediate(batch, rollUp(batch), touches);
      lastUse.committed(touches);
    };
    return Object.assign(writeBatch, { drainHeld: () => false, held: 0 });
  }

  const held = new HeldUsage(holdMs);
  let lastBatchAt = Number.NEGATIVE_INFINITY;
  const writeBatch = (batch: readonly UsageEvent[], now = Date.now()) => {
    held.rotate(now);
    // Twice as many as the batch brings: what is held drains faster than it fills.
    const slice = Math.max(MIN_HELD_SLICE, 2 * batch.length);
    const rollups = held.next(slice);
    const touches = held.nextTouches(slice);
    write.immediate(batch, rollups, touches);
    held.written(rollups.length, touches.length);
    held.add(batch, now);
    lastBatchAt = now;
  };
  const drainHeld = (all: boolean, now = Date.now()) => {
    if (!all && now - lastBatchAt < holdMs) return false;
    held.rotate(now, all);
    const rollups = held.next(IDLE_DRAIN_SLICE);
    const touches = held.nextTouches(IDLE_DRAIN_SLICE);
    if (rollups.length === 0 && touches.length === 0) return false;
    write.immediate([], rollups, touches);
    held.written(rollups.length, touches.length);
    held.rotate(now, all);
    return held.drainPending;
  };
  return Object.defineProperty(Object.assign(writeBatch, { drainHeld }), 'held', { get: () => held.size }) as PreparedUsageWriter;
}

/** The one histogram bucket holding all of a rollup's requests, or -1. */
function soleBucket(r: Rollup): number {
  for (let b = 0; b < LATENCY_BUCKETS; b++) if (r.histogram[b] !== 0) return r.histogram[b] === r.count ? b : -1;
  return -1;
}
