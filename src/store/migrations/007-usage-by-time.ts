/**
 * Raw usage is indexed by time alone. The (key_id, ts) index it replaces put
 * every event at a random place in a B-tree (one dirty page per distinct key per
 * batch, the main cost of recording with many keys), and pruning had to walk the
 * keys one by one (a million queries at a million keys). Times arrive almost in
 * order, so the ts index grows at its right edge, and pruning is one range. Usage
 * queries read the rollups, never raw rows by key.
 */
import type { Migration } from 'kysely';

export const usageByTimeMigration: Migration = {
  async up(db) {
    await db.schema.createIndex('usage_events_ts').on('usage_events').column('ts').execute();
    await db.schema.dropIndex('usage_events_key_ts').execute();
  },
  async down(db) {
    await db.schema.createIndex('usage_events_key_ts').on('usage_events').columns(['key_id', 'ts']).execute();
    await db.schema.dropIndex('usage_events_ts').execute();
  },
};
