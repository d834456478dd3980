/**
 * Webhook history retention: deliveries that finished (delivered, or failed
 * for good) more than ATENDER_WEBHOOK_RETENTION_DAYS ago go with their
 * attempts, then events that no delivery refers to any more. Pending
 * deliveries and their events stay whatever their age. In small chunks, each
 * its own transaction, so no pass holds the database for long; nodes pruning
 * at once only find less to delete.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { PeriodicJob } from '../ops/periodic-job.js';
import type { Database } from '../store/schema.js';
import { inChunks } from '../store/chunks.js';
import { deleteFinishedDeliveries, deleteUnreferencedEvents } from '../store/webhooks-repo.js';

const DAY_MS = 86_400_000;
const CHUNK = 1_000;

export interface WebhookPruneResult {
  deliveries: number;
  events: number;
}

export async function pruneWebhooks(db: Kysely<Database>, now: number, retentionDays: number): Promise<WebhookPruneResult> {
  const before = now - retentionDays * DAY_MS;
  const deliveries = await inChunks(CHUNK, () => deleteFinishedDeliveries(db, before, CHUNK));
  const events = await inChunks(CHUNK, () => deleteUnreferencedEvents(db, before, CHUNK));
  return { deliveries, events };
}

/** Prunes webhook history at start and hourly. */
export class WebhookPruner extends PeriodicJob<WebhookPruneResult> {
  constructor(db: Kysely<Database>, clock: Clock, retentionDays: number, intervalMs = 3_600_000) {
    super(() => pruneWebhooks(db, clock.now(), retentionDays), intervalMs);
  }
}
