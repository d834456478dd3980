/**
 * The raw request log moves from a row per request (usage_events) to a block
 * of requests per row (usage_event_blocks; usage/event-blocks.ts has the why).
 * Every logged request is carried over, a block per 1,000 rows in id order;
 * latencies keep microseconds.
 */
import { type Migration, sql } from 'kysely';
import { eventBlock } from '../../usage/event-blocks.js';
import { type DialectName, EPOCH_MS, withSerialKey } from '../dialect.js';

const ROWS_PER_BLOCK = 1_000;

interface OldEventRow {
  id: number | string;
  key_id: string;
  secret_id: string | null;
  ts: number | string;
  method: string;
  route: string;
  status: number;
  latency_ms: number;
  ip: string | null;
}

export function usageEventBlocksMigration(dialect: DialectName): Migration {
  return {
    async up(db) {
      // The copy reads every logged request: on a large table longer than the pool's 5 s statement limit (as in 008).
      if (dialect === 'postgres') await sql`set local statement_timeout = 0`.execute(db);
      await withSerialKey(dialect, db.schema.createTable('usage_event_blocks'), 'id')
        .addColumn('first_ts', EPOCH_MS, (c) => c.notNull())
        .addColumn('last_ts', EPOCH_MS, (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('events', 'text', (c) => c.notNull())
        .execute();
      // Retention deletes blocks whose last request is past it.
      await db.schema.createIndex('usage_event_blocks_last_ts').on('usage_event_blocks').column('last_ts').execute();
      for (let after = -1; ; ) {
        const rows = (await db.selectFrom('usage_events').selectAll().where('id', '>', after).orderBy('id').limit(ROWS_PER_BLOCK).execute()) as OldEventRow[];
        if (rows.length === 0) break;
        const block = eventBlock(rows.map((r) => ({ keyId: r.key_id, secretId: r.secret_id, ts: Number(r.ts), method: r.method, route: r.route, status: r.status, latencyMs: Number(r.latency_ms), ip: r.ip })));
        await db.insertInto('usage_event_blocks').values(block).execute();
        after = Number(rows[rows.length - 1]!.id);
      }
      await db.schema.dropTable('usage_events').execute();
    },
  };
}
