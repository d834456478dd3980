/**
 * Opens the database named by ATENDER_DATABASE_URL and brings it up to date.
 * A file path or `sqlite:` URL opens SQLite (WAL, so the CLI and the server can
 * share the file); `postgres://` opens a PostgreSQL pool.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { CompiledQuery, type DatabaseConnection, type Driver, Kysely, Migrator, PostgresDialect, SqliteDialect, SqliteDriver, type SqliteDatabase, type SqliteDialectConfig, sql } from 'kysely';
import pg from 'pg';
import type { DialectName } from './dialect.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';

export interface Store {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Human-readable location without credentials. */
  describe: string;
  close(): Promise<void>;
}

// int8 (bigint) columns hold epoch milliseconds, which fit a double exactly.
pg.types.setTypeParser(20, (v: string) => Number(v));

export function dialectOf(url: string): DialectName {
  return /^postgres(ql)?:\/\//.test(url) ? 'postgres' : 'sqlite';
}

export function sqlitePath(url: string): string {
  if (url === ':memory:') return url;
  return resolve(url.replace(/^sqlite:(\/\/)?/, ''));
}

export interface OpenOptions {
  /** Pool size for PostgreSQL. */
  poolSize?: number;
}

export async function openStore(url: string, options: OpenOptions = {}): Promise<Store> {
  const dialect = dialectOf(url);
  let store: Store;
  if (dialect === 'postgres') {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 2_000,
      // A dead server must not hang requests: statements give up after 5 s.
      statement_timeout: 5_000,
      // ... and so does this client when the server cannot even be heard from.
      query_timeout: 6_000,
    });
    // A client losing its connection must not crash the process: pg-pool handles that for idle
    // clients only, and a checked-out client between two statements has no other listener.
    // The next statement on it fails, and the pool drops it on release.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    store = { db, dialect, describe: redactUrl(url), close: () => db.destroy() };
  } else {
    const path = sqlitePath(url);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const sqlite = openSqlite(path);
    const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }) });
    store = { db, dialect, describe: path, close: () => db.destroy() };
  }
  await migrate(store);
  return store;
}

/**
 * SQLite transactions that take the write lock when they begin. Other
 * connections write the same file (the usage writer thread, the CLI, other
 * processes); a transaction that read first and wrote later would fail at once
 * with SQLITE_BUSY when one of them committed in between, where `begin
 * immediate` instead waits its turn (busy_timeout).
 */
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly settings: SqliteDialectConfig) {
    super(settings);
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.settings);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/** A SQLite connection set up as every connection to the file must be (WAL, so the CLI, the server and its usage writer can share it). */
export function openSqlite(path: string): SQLite.Database {
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  return sqlite;
}

const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every statement it runs; preparing costs SQLite as much as a
 * cached key lookup or a 500-row usage insert takes to execute. Reusing prepared
 * statements by SQL text (an LRU, since IN lists of varying length make new
 * texts) removes that. A statement still stepping through rows is busy and gets
 * a fresh one.
 */
export function withStatementCache(sqlite: SQLite.Database, size = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string): SQLite.Statement {
      const cached = statements.get(text);
      if (cached && !cached.busy) {
        statements.delete(text);
        statements.set(text, cached);
        return cached;
      }
      const statement = sqlite.prepare(text);
      if (cached) return statement;
      statements.set(text, statement);
      if (statements.size > size) statements.delete(statements.keys().next().value as string);
      return statement;
    },
  };
}

/** Idempotent and safe when several nodes start at once. */
export async function migrate(store: Store): Promise<void> {
  const run = async (db: Kysely<Database>) => {
    // Areas number their migrations independently; one landing below an applied one must still run.
    const migrator = new Migrator({ db, provider: migrationProvider(store.dialect), allowUnorderedMigrations: true });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error');
      throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String((error as Error).message ?? error)}`);
    }
  };
  if (store.dialect === 'sqlite') return run(store.db);
  // One node migrates at a time; the others wait and then find nothing to do.
  await store.db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(7301001)`.execute(conn);
    try {
      await run(conn);
    } finally {
      await sql`select pg_advisory_unlock(7301001)`.execute(conn);
    }
  });
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres';
  }
}
