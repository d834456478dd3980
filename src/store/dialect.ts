/**
 * The only place where SQLite and PostgreSQL differ. Queries are written once with
 * Kysely; this module answers the few questions whose answer depends on the engine.
 */
import { type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely, sql } from 'kysely';

export type DialectName = 'sqlite' | 'postgres';

/** Adds an auto-incrementing integer primary key column. */
export function withSerialKey<T extends string>(
  dialect: DialectName,
  table: CreateTableBuilder<T, never>,
  column: string,
): CreateTableBuilder<T, never> {
  return dialect === 'postgres'
    ? table.addColumn(column, 'bigserial', (c: ColumnDefinitionBuilder) => c.primaryKey())
    : table.addColumn(column, 'integer', (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement());
}

/** Epoch milliseconds need 64 bits; SQLite's integer already is. */
export const EPOCH_MS = 'bigint' as const;

export type AnyDb = Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A unique constraint refused the write (SQLite or PostgreSQL). */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string } | null;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** A foreign key refused the write: the row it refers to is gone (SQLite or PostgreSQL). */
export function isForeignKeyViolation(error: unknown): boolean {
  const e = error as { code?: string } | null;
  return e?.code === '23503' || e?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

/**
 * The columns of the unique constraint a write violated, read from the engine's
 * error: PostgreSQL's detail "Key (tenant_id, email)=(...) already exists",
 * SQLite's message "UNIQUE constraint failed: contacts.tenant_id, contacts.email".
 */
export function violatedUniqueColumns(error: unknown): string[] {
  if (!isUniqueViolation(error)) return [];
  const e = error as { detail?: string; message?: string };
  const pg = /^Key \(([^)]*)\)/.exec(e.detail ?? '');
  if (pg) return pg[1]!.split(',').map((c) => c.trim());
  const sqlite = /constraint failed: (.*)$/.exec(e.message ?? '');
  return sqlite ? sqlite[1]!.split(',').map((c) => c.trim().replace(/^.*\./, '')) : [];
}

/**
 * Statements that make a table refuse UPDATE and DELETE, so an append-only log
 * stays append-only even against a careless query.
 */
export function appendOnlyTriggers(dialect: DialectName, table: string): string[] {
  if (dialect === 'postgres') {
    return [
      `create or replace function atender_append_only() returns trigger language plpgsql as $$ begin raise exception '% is append-only', tg_table_name; end $$`,
      `create trigger ${table}_append_only before update or delete on ${table} for each row execute function atender_append_only()`,
    ];
  }
  return ['update', 'delete'].map(
    (op) => `create trigger ${table}_append_only_${op} before ${op} on ${table} begin select raise(abort, '${table} is append-only'); end`,
  );
}

/** PostgreSQL NOTIFY channel that wakes every node's change feed. */
export const KEY_CHANGE_CHANNEL = 'atender_key_changes';

/**
 * PostgreSQL only: NOTIFY on every insert into key_changes, from a trigger so it
 * is sent in the inserting transaction (delivered on commit, dropped on rollback)
 * whichever code path wrote the row. SQLite has no NOTIFY; its nodes poll.
 */
export async function installKeyChangeNotify(dialect: DialectName, db: AnyDb): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`create or replace function atender_notify_key_change() returns trigger language plpgsql as $$
    begin perform pg_notify(${sql.lit(KEY_CHANGE_CHANNEL)}, ''); return null; end $$`.execute(db);
  await sql`create trigger key_changes_notify after insert on key_changes
    for each statement execute function atender_notify_key_change()`.execute(db);
}

export async function removeKeyChangeNotify(dialect: DialectName, db: AnyDb): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`drop trigger if exists key_changes_notify on key_changes`.execute(db);
  await sql`drop function if exists atender_notify_key_change()`.execute(db);
}

/**
 * Whether claims can lock rows and skip those other nodes hold
 * (`FOR UPDATE SKIP LOCKED`). SQLite has one writer at a time, so its
 * update-returning claim is already exclusive.
 */
export function supportsSkipLocked(dialect: DialectName): boolean {
  return dialect === 'postgres';
}
