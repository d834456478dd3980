/**
 * A secret's last-used time moves out of api_key_secrets into a narrow table of
 * its own, with a row only for a secret that has been used. Raising it in the
 * wide secrets table read and rewrote one random page of that table (and its
 * index) per key per minute: with a million keys, most of what recording usage
 * cost (bench keys-1M, in process: 19 -> 11 µs per event when every key starts a
 * new minute). The narrow table stays small enough to stay cached.
 *
 * No foreign key: secrets are never deleted, and the check would be a probe of
 * the secrets table on every write, the cost this table exists to avoid.
 * On SQLite the table is WITHOUT ROWID: one B-tree, keyed by the secret id.
 */
import { type Migration, sql } from 'kysely';
import { type DialectName, EPOCH_MS } from '../dialect.js';

export function lastUseTableMigration(dialect: DialectName): Migration {
  return {
    async up(db) {
      // The copy reads every secret: on a large table longer than the pool's 5 s statement limit (as in 008).
      if (dialect === 'postgres') await sql`set local statement_timeout = 0`.execute(db);
      let table = db.schema
        .createTable('api_key_last_use')
        .addColumn('secret_id', 'text', (c) => c.primaryKey())
        .addColumn('last_used_at', EPOCH_MS, (c) => c.notNull());
      if (dialect === 'sqlite') table = table.modifyEnd(sql`without rowid`);
      await table.execute();
      await db
        .insertInto('api_key_last_use')
        .columns(['secret_id', 'last_used_at'])
        .expression((eb) => eb.selectFrom('api_key_secrets').select(['id', sql<number>`last_used_at`.as('last_used_at')]).where(sql.ref('last_used_at'), 'is not', null))
        .execute();
      await db.schema.alterTable('api_key_secrets').dropColumn('last_used_at').execute();
    },
  };
}
