/**
 * Real PostgreSQL and Redis for the tests. A developer without them gets a loud
 * skip; CI sets ATENDER_REQUIRE_SERVICES=1, which turns the skip into a failure.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { type Store, openStore } from '../../src/store/db.js';

export const PG_ADMIN_URL = process.env.ATENDER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.ATENDER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const SERVICES_REQUIRED = process.env.ATENDER_REQUIRE_SERVICES === '1';

let pgReachable: Promise<boolean> | null = null;

export function postgresAvailable(): Promise<boolean> {
  pgReachable ??= (async () => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return pgReachable;
}

export async function redisAvailable(): Promise<boolean> {
  const { createConnection } = await import('node:net');
  const url = new URL(REDIS_URL);
  return new Promise((resolve) => {
    const socket = createConnection({ host: url.hostname, port: Number(url.port || 6379) });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.write('PING\r\n');
    });
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Whether a suite needing `service` should run. Unreachable: a loud message and
 * false on a laptop; an error under CI.
 */
export async function requireService(service: 'postgres' | 'redis'): Promise<boolean> {
  const ok = service === 'postgres' ? await postgresAvailable() : await redisAvailable();
  if (ok) return true;
  const message = `${service} is not reachable (${service === 'postgres' ? PG_ADMIN_URL : REDIS_URL})`;
  if (SERVICES_REQUIRED) throw new Error(`${message}; ATENDER_REQUIRE_SERVICES=1 makes this a failure`);
  console.warn(`\n  !!! SKIPPING ${service.toUpperCase()} TESTS: ${message}. CI runs them.\n`);
  return false;
}

/** A fresh, empty PostgreSQL database for one suite; `drop` removes it. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `atender_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  /** Creates a fresh database and returns its URL. */
  create(): Promise<{ url: string; drop: () => Promise<void> }>;
}

let sqliteCounter = 0;

export const sqliteDatabase: TestDatabase = {
  name: 'sqlite',
  async create() {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'atender-test-'));
    return { url: join(dir, `db-${sqliteCounter++}.sqlite`), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  },
};

export const postgresDatabase: TestDatabase = { name: 'postgres', create: freshPostgresDatabase };

/**
 * The databases a store-level suite runs against: SQLite always, PostgreSQL when
 * reachable (required in CI). Use with `describe.each(await testDatabases())`.
 */
export async function testDatabases(): Promise<TestDatabase[]> {
  // Under `npm test` each Vitest project names its database, so every suite runs once per engine.
  if (process.env.ATENDER_TEST_DATABASE) return [defaultTestDatabase()];
  return (await requireService('postgres')) ? [sqliteDatabase, postgresDatabase] : [sqliteDatabase];
}

/**
 * The database `startTestApp` (and `testDatabases` under `npm test`) uses unless a
 * suite names one: SQLite, or a fresh PostgreSQL database in the `postgres` Vitest
 * project (ATENDER_TEST_DATABASE=postgres), which runs the suites a second time.
 */
export function defaultTestDatabase(): TestDatabase {
  return process.env.ATENDER_TEST_DATABASE === 'postgres' ? postgresDatabase : sqliteDatabase;
}

/** A migrated store on a fresh database of this kind for the suite (opened before its tests, dropped after). */
export function suiteStore(database: TestDatabase): () => Store {
  let store: Store | undefined;
  let drop: () => Promise<void> = async () => {};
  beforeAll(async () => {
    const created = await database.create();
    drop = created.drop;
    store = await openStore(created.url);
  });
  afterAll(async () => {
    await store?.close();
    await drop();
  });
  return () => store!;
}
