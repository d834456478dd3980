/**
 * Migration 011 on a database written the old way (a usage_events row per
 * request): every logged request is still there afterwards, field for field
 * and in order, in blocks of at most 1,000, and the old table is gone.
 */
import { type Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { EPOCH_MS, withSerialKey } from '../../src/store/dialect.js';
import { migrate } from '../../src/store/db.js';
import { readUsageEvents } from '../../src/usage/event-blocks.js';
import { type TestDatabase, suiteStore, testDatabases } from '../helpers/services.js';

const T0 = Date.UTC(2026, 4, 1, 9);

describe.each(await testDatabases())('migration 011 (usage event blocks) on $name', (database: TestDatabase) => {
  const storeOf = suiteStore(database);

  it('carries every logged request over to blocks and drops the old table', async () => {
    // Back to the schema before 011, with requests in the old table.
    // The old table is not in today's schema type.
    const db = storeOf().db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    await db.schema.dropTable('usage_event_blocks').execute();
    await withSerialKey(database.name, db.schema.createTable('usage_events'), 'id')
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('secret_id', 'text')
      .addColumn('ts', EPOCH_MS, (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('route', 'text', (c) => c.notNull())
      .addColumn('status', 'integer', (c) => c.notNull())
      .addColumn('latency_ms', 'real', (c) => c.notNull())
      .addColumn('ip', 'text')
      .execute();
    await db.schema.createIndex('usage_events_ts').on('usage_events').column('ts').execute();
    const rows = Array.from({ length: 2_345 }, (_, i) => ({
      key_id: `key_${i % 4}`,
      secret_id: i % 9 === 0 ? null : `sec_${i % 4}`,
      ts: T0 + i * 250,
      method: i % 3 ? 'GET' : 'DELETE',
      route: i % 3 ? 'GET /v1/me' : 'DELETE /v1/contacts/{id}',
      status: [200, 204, 404, 429][i % 4]!,
      latency_ms: 0.25 + i / 8,
      ip: i % 11 === 0 ? null : `2001:db8::${i % 5}`,
    }));
    for (let i = 0; i < rows.length; i += 500) await db.insertInto('usage_events').values(rows.slice(i, i + 500)).execute();
    await db.deleteFrom('kysely_migration').where('name', '=', '011-usage-event-blocks').execute();

    await migrate(storeOf());

    expect(await readUsageEvents(storeOf().db)).toEqual(
      rows.map((r) => ({ keyId: r.key_id, secretId: r.secret_id, ts: r.ts, method: r.method, route: r.route, status: r.status, latencyMs: r.latency_ms, ip: r.ip })),
    );
    expect((await storeOf().db.selectFrom('usage_event_blocks').select('count').orderBy('id').execute()).map((b) => b.count)).toEqual([1_000, 1_000, 345]);
    await expect(sql`select count(*) from usage_events`.execute(storeOf().db)).rejects.toThrow();
  });
});
