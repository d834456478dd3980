/**
 * Key lifecycle and usage monitoring: per-minute and per-day usage rollups, the
 * once-only "expired" audit marker, and an audit log that refuses to be changed.
 * (Raw usage is pruned by time: see 007-usage-by-time.)
 */
import { type Migration, sql } from 'kysely';
import { type DialectName, EPOCH_MS, appendOnlyTriggers } from '../dialect.js';
import { LATENCY_COLUMNS } from '../schema.js';

export function usageMigration(dialect: DialectName): Migration {
  return {
    async up(db) {
      await db.schema.alterTable('api_keys').addColumn('expiry_audited_at', EPOCH_MS).execute();
      let rollups = db.schema
        .createTable('usage_rollups')
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('period', 'text', (c) => c.notNull())
        .addColumn('bucket_start', EPOCH_MS, (c) => c.notNull())
        .addColumn('route', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('required_scopes', 'text', (c) => c.notNull())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addColumn('latency_ms_sum', 'double precision', (c) => c.notNull());
      for (const column of LATENCY_COLUMNS) rollups = rollups.addColumn(column, 'bigint', (c) => c.notNull().defaultTo(0));
      await rollups.addPrimaryKeyConstraint('usage_rollups_pk', ['key_id', 'period', 'bucket_start', 'route', 'status']).execute();
      await db.schema.createIndex('usage_rollups_prune').on('usage_rollups').columns(['period', 'bucket_start']).execute();
      for (const statement of appendOnlyTriggers(dialect, 'audit_log')) await sql.raw(statement).execute(db);
    },
  };
}
