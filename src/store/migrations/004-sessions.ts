import type { Migration } from 'kysely';
import { type DialectName, EPOCH_MS, withSerialKey } from '../dialect.js';

/** Dashboard sign-in: server-side admin sessions and the failed sign-in log behind the throttle. */
export function sessionsMigration(dialect: DialectName): Migration {
  return {
    async up(db) {
      await db.schema
        .createTable('admin_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('admin_id', 'text', (c) => c.notNull().references('admins.id'))
        .addColumn('org_id', 'text', (c) => c.notNull())
        .addColumn('token_digest', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', EPOCH_MS, (c) => c.notNull())
        .addColumn('last_seen_at', EPOCH_MS, (c) => c.notNull())
        .addColumn('absolute_expires_at', EPOCH_MS, (c) => c.notNull())
        .addColumn('ip', 'text')
        .execute();
      await db.schema.createIndex('admin_sessions_admin').on('admin_sessions').column('admin_id').execute();
      await withSerialKey(dialect, db.schema.createTable('login_failures'), 'id')
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('created_at', EPOCH_MS, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('login_failures_subject').on('login_failures').columns(['subject', 'created_at']).execute();
      await db.schema.createIndex('login_failures_created').on('login_failures').column('created_at').execute();
    },
  };
}
