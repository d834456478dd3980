/**
 * The SQLite writer thread's fast path: the same three statements as writer.ts,
 * compiled by Kysely once and prepared once, then run per row inside one
 * better-sqlite3 transaction. Re-building and re-preparing a thousand-row
 * statement for every batch cost more than writing the rows.
 */
import type SQLite from 'better-sqlite3';
import { type CompiledQuery, Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../store/schema.js';
import { type RawEventRow, type RollupRow, type UsageEvent, lastUseBySecret, rawRow, rollUp, usageStatements } from './writer.js';

// Each bound parameter is compiled as a marker naming the field it takes its value from.
const MARK = '\u0001';

function markers<T>(sample: T): T {
  return Object.fromEntries(Object.keys(sample as object).map((k) => [k, `${MARK}${k}`])) as T;
}

function prepare(sqlite: SQLite.Database, compiled: CompiledQuery): (values: Record<string, unknown>) => void {
  const fields = compiled.parameters.map((p) => {
    if (typeof p !== 'string' || !p.startsWith(MARK)) throw new Error(`usage statement has an unexpected parameter: ${String(p)}`);
    return p.slice(MARK.length);
  });
  const statement = sqlite.prepare(compiled.sql);
  return (values) => void statement.run(fields.map((f) => values[f]));
}

/** Returns a function that writes one batch in one transaction, synchronously. */
export function preparedUsageWriter(sqlite: SQLite.Database): (batch: readonly UsageEvent[]) => void {
  const compiler = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  const sample: UsageEvent = { keyId: '', secretId: null, ts: 0, method: '', route: '', requiredScopes: '', status: 0, latencyMs: 0, ip: null };
  const insertEvent = prepare(sqlite, usageStatements.insertEvents(compiler, [markers<RawEventRow>(rawRow(sample))]).compile());
  const upsertRollup = prepare(sqlite, usageStatements.upsertRollups(compiler, [markers<RollupRow>(rollUp([sample])[0]!)]).compile());
  const touchSecret = prepare(sqlite, usageStatements.touchSecret(compiler, `${MARK}secret_id`, `${MARK}ts` as unknown as number).compile());
  return sqlite.transaction((batch: readonly UsageEvent[]) => {
    for (const e of batch) insertEvent(rawRow(e) as Record<string, unknown>);
    for (const row of rollUp(batch)) upsertRollup(row as Record<string, unknown>);
    for (const [secret_id, ts] of lastUseBySecret(batch)) touchSecret({ secret_id, ts });
  });
}
