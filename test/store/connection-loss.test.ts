/**
 * PostgreSQL restarting (or a network cut) while a pooled connection is checked
 * out between two statements must fail that work, not crash the process.
 */
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Store, openStore } from '../../src/store/db.js';
import { PG_ADMIN_URL, freshPostgresDatabase, requireService } from '../helpers/services.js';

// PostgreSQL-only behaviour: the sqlite project of `npm test` leaves it to the postgres one.
const run = process.env.ATENDER_TEST_DATABASE !== 'sqlite' && (await requireService('postgres'));

describe.runIf(run)('PostgreSQL connection lost mid-use', () => {
  let store: Store;
  let database: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    database = await freshPostgresDatabase();
    store = await openStore(database.url, { poolSize: 2 });
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  it('fails the statement on the lost connection and serves the next query on a new one', async () => {
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    const name = new URL(database.url).pathname.slice(1);
    const outcome = await store.db.connection().execute(async (conn) => {
      await sql`select 1`.execute(conn);
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
      await new Promise((r) => setTimeout(r, 300)); // the termination arrives while the connection is idle but checked out
      return sql`select 1`.execute(conn).then(
        () => 'answered',
        () => 'failed',
      );
    });
    await admin.end();
    expect(outcome).toBe('failed');
    const row = await sql<{ one: number }>`select 1 as one`.execute(store.db);
    expect(row.rows[0]).toEqual({ one: 1 });
  });
});
