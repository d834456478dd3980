/**
 * Indexes for pruning webhook history (webhooks/retention.ts): finished
 * deliveries by completion time, deliveries by event (is an old event still
 * referred to?) and events by creation time. Without them each pruning pass
 * would scan the whole delivery log.
 */
import type { Migration } from 'kysely';

export const webhookRetentionMigration: Migration = {
  async up(db) {
    await db.schema.createIndex('webhook_deliveries_done').on('webhook_deliveries').columns(['status', 'completed_at']).execute();
    await db.schema.createIndex('webhook_deliveries_event').on('webhook_deliveries').column('event_id').execute();
    await db.schema.createIndex('webhook_events_created').on('webhook_events').column('created_at').execute();
  },
  async down(db) {
    for (const name of ['webhook_events_created', 'webhook_deliveries_event', 'webhook_deliveries_done']) await db.schema.dropIndex(name).execute();
  },
};
