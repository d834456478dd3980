/**
 * The SQLite writer thread's fast path: the same three statements as writer.ts,
 * compiled by Kysely once and prepared once, then run inside one
 * better-sqlite3 transaction. Re-building and re-preparing a thousand-row
 * statement for every batch cost more than writing the rows.
 */
import type SQLite from 'better-sqlite3';
import { type CompiledQuery, Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../store/schema.js';
import { type RawEventRow, type RollupRow, type UsageEvent, LastUseThrottle, rawRow, rollUp, usageStatements } from './writer.js';

// Each bound parameter is compiled as a marker naming the row and field it takes its value from.
const MARK = '\u0001';
// Raw events go in 50 rows per statement: fewer statement runs, still a small statement.
const ROWS_PER_INSERT = 50;

function markers<T>(sample: T, row = 0): T {
  return Object.fromEntries(Object.keys(sample as object).map((k) => [k, `${MARK}${row}:${k}`])) as T;
}

type Values = Record<string, unknown>;

function prepare(sqlite: SQLite.Database, compiled: CompiledQuery): (rows: readonly Values[]) => void {
  const slots = compiled.parameters.map((p) => {
    const match = typeof p === 'string' ? /^\u0001(\d+):(.+)$/.exec(p) : null;
    if (!match) throw new Error(`usage statement has an unexpected parameter: ${String(p)}`);
    return [Number(match[1]), match[2]!] as const;
  });
  const statement = sqlite.prepare(compiled.sql);
  return (rows) => void statement.run(slots.map(([row, field]) => rows[row]![field]));
}

/** Returns a function that writes one batch in one transaction, synchronously. */
export function preparedUsageWriter(sqlite: SQLite.Database): (batch: readonly UsageEvent[]) => void {
  const compiler = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  const sample: UsageEvent = { keyId: '', secretId: null, ts: 0, method: '', route: '', requiredScopes: '', status: 0, latencyMs: 0, ip: null };
  const eventMarkers = (n: number) => Array.from({ length: n }, (_, i) => markers<RawEventRow>(rawRow(sample), i));
  const insertMany = prepare(sqlite, usageStatements.insertEvents(compiler, eventMarkers(ROWS_PER_INSERT)).compile());
  const insertOne = prepare(sqlite, usageStatements.insertEvents(compiler, eventMarkers(1)).compile());
  const upsertRollup = prepare(sqlite, usageStatements.upsertRollups(compiler, [markers<RollupRow>(rollUp([sample])[0]!)]).compile());
  const touchSecret = prepare(sqlite, usageStatements.touchSecret(compiler, `${MARK}0:secret_id`, `${MARK}0:ts` as unknown as number).compile());
  const lastUse = new LastUseThrottle();
  const write = sqlite.transaction((batch: readonly UsageEvent[], touches: readonly [string, number][]) => {
    const rows = batch.map(rawRow) as Values[];
    let i = 0;
    for (; i + ROWS_PER_INSERT <= rows.length; i += ROWS_PER_INSERT) insertMany(rows.slice(i, i + ROWS_PER_INSERT));
    for (; i < rows.length; i++) insertOne([rows[i]!]);
    for (const row of rollUp(batch)) upsertRollup([row as Values]);
    for (const [secret_id, ts] of touches) touchSecret([{ secret_id, ts }]);
  });
  return (batch) => {
    const touches = lastUse.due(batch);
    // Take the write lock up front; the connection's busy_timeout says whether to wait for it.
    write.immediate(batch, touches);
    lastUse.committed(touches);
  };
}
