/** Webhook endpoints, deliveries and attempts: the queries, nothing else. Rules live in services/webhooks.ts and webhooks/dispatcher.ts. */
import type { Kysely, Selectable } from 'kysely';
import { newId } from '../core/ids.js';
import { supportsSkipLocked } from './dialect.js';
import type { Store } from './db.js';
import type { PrunedChunk } from './chunks.js';
import type { Db } from './keys-repo.js';
import type { Database, WebhookAttemptsTable, WebhookDeliveriesTable, WebhookEndpointsTable } from './schema.js';

export type EndpointRow = Selectable<WebhookEndpointsTable>;
export type DeliveryRow = Selectable<WebhookDeliveriesTable>;
export type AttemptRow = Selectable<WebhookAttemptsTable>;

export async function findEndpoint(db: Db, id: string, orgId?: string): Promise<EndpointRow | undefined> {
  let q = db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id);
  if (orgId !== undefined) q = q.where('org_id', '=', orgId);
  return q.executeTakeFirst();
}

export async function listEndpoints(db: Db, orgId: string, environment?: string): Promise<EndpointRow[]> {
  let q = db.selectFrom('webhook_endpoints').selectAll().where('org_id', '=', orgId);
  if (environment) q = q.where('environment', '=', environment as EndpointRow['environment']);
  return q.orderBy('id', 'desc').execute();
}

export async function deleteEndpointCascade(db: Db, id: string): Promise<void> {
  await db.deleteFrom('webhook_attempts').where('endpoint_id', '=', id).execute();
  await db.deleteFrom('webhook_deliveries').where('endpoint_id', '=', id).execute();
  await db.deleteFrom('webhook_endpoints').where('id', '=', id).execute();
}

/** Deletes up to `limit` deliveries that finished (delivered or failed) before `before`, with their attempts. */
export async function deleteFinishedDeliveries(db: Kysely<Database>, before: number, limit: number): Promise<PrunedChunk> {
  return db.transaction().execute(async (tx) => {
    const done = await tx.selectFrom('webhook_deliveries').select('id').where('status', 'in', ['delivered', 'failed']).where('completed_at', '<', before).limit(limit).execute();
    const ids = done.map((d) => d.id);
    if (ids.length === 0) return { found: 0, deleted: 0 };
    await tx.deleteFrom('webhook_attempts').where('delivery_id', 'in', ids).execute();
    const deleted = await tx.deleteFrom('webhook_deliveries').where('id', 'in', ids).executeTakeFirst();
    return { found: ids.length, deleted: Number(deleted.numDeletedRows) };
  });
}

/**
 * Deletes up to `limit` events created before `before` that no delivery refers
 * to any more. Deliveries are written with their event, so an old event gets no new ones.
 */
export async function deleteUnreferencedEvents(db: Db, before: number, limit: number): Promise<PrunedChunk> {
  const unreferenced = await db
    .selectFrom('webhook_events as e')
    .select('e.id')
    .where('e.created_at', '<', before)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.event_id', '=', 'e.id'))))
    .limit(limit)
    .execute();
  if (unreferenced.length === 0) return { found: 0, deleted: 0 };
  const deleted = await db.deleteFrom('webhook_events').where('id', 'in', unreferenced.map((e) => e.id)).executeTakeFirst();
  return { found: unreferenced.length, deleted: Number(deleted.numDeletedRows) };
}

/**
 * Claims up to `limit` due deliveries for `claimToken` until `lockUntil`, in one
 * statement (its own short transaction). PostgreSQL skips rows another node is
 * claiming right now; a row whose lease ran out (its node died) is due again.
 */
export async function claimDueDeliveries(store: Store, now: number, lockUntil: number, claimToken: string, limit: number): Promise<{ id: string }[]> {
  let due = store.db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .orderBy('next_attempt_at')
    .limit(limit);
  if (supportsSkipLocked(store.dialect)) due = due.forUpdate().skipLocked();
  return store.db.updateTable('webhook_deliveries').set({ locked_until: lockUntil, claim_token: claimToken }).where('id', 'in', due).returning('id').execute();
}

/** What an attempt needs: the delivery, its event's body and its endpoint (absent when deleted). */
export async function loadClaimed(db: Db, ids: readonly string[]) {
  if (ids.length === 0) return [];
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .leftJoin('webhook_endpoints as w', 'w.id', 'd.endpoint_id')
    .select([
      'd.id',
      'd.attempts',
      'd.endpoint_id',
      'd.claim_token',
      'e.id as event_id',
      'e.payload',
      'w.org_id',
      'w.tenant_id',
      'w.url',
      'w.enabled',
      'w.secret_sealed',
      'w.previous_secret_sealed',
      'w.previous_secret_expires_at',
      'w.failing_since',
    ])
    .where('d.id', 'in', ids)
    .execute();
}

export type ClaimedDelivery = Awaited<ReturnType<typeof loadClaimed>>[number];

export interface AttemptRecord {
  deliveryId: string;
  endpointId: string;
  attempt: number;
  startedAt: number;
  latencyMs: number;
  statusCode: number | null;
  responseBody: string | null;
  truncated: boolean;
  error: string | null;
}

export async function insertAttempt(db: Db, a: AttemptRecord): Promise<void> {
  await db
    .insertInto('webhook_attempts')
    .values({
      id: newId('att', a.startedAt),
      delivery_id: a.deliveryId,
      endpoint_id: a.endpointId,
      attempt: a.attempt,
      started_at: a.startedAt,
      latency_ms: a.latencyMs,
      status_code: a.statusCode,
      response_body: a.responseBody,
      response_truncated: a.truncated ? 1 : 0,
      error: a.error,
    })
    .execute();
}

/** Changes a claimed delivery and releases the claim; false when the claim was lost meanwhile. */
export async function settleDelivery(db: Db, id: string, claimToken: string, changes: Partial<DeliveryRow>): Promise<boolean> {
  const result = await db
    .updateTable('webhook_deliveries')
    .set({ ...changes, locked_until: null, claim_token: null })
    .where('id', '=', id)
    .where('claim_token', '=', claimToken)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export type DeliveryWithType = DeliveryRow & { type: string };

function deliveriesOf(db: Db, endpointId: string) {
  return db.selectFrom('webhook_deliveries as d').innerJoin('webhook_events as e', 'e.id', 'd.event_id').selectAll('d').select('e.type').where('d.endpoint_id', '=', endpointId);
}

export async function listDeliveries(db: Db, endpointId: string, limit: number, afterId?: string): Promise<DeliveryWithType[]> {
  let q = deliveriesOf(db, endpointId);
  if (afterId) q = q.where('d.id', '<', afterId);
  return q.orderBy('d.id', 'desc').limit(limit + 1).execute();
}

export async function findDelivery(db: Db, endpointId: string, id: string): Promise<DeliveryWithType | undefined> {
  return deliveriesOf(db, endpointId).where('d.id', '=', id).executeTakeFirst();
}

export async function attemptsOf(db: Db, deliveryIds: readonly string[]): Promise<AttemptRow[]> {
  if (deliveryIds.length === 0) return [];
  return db.selectFrom('webhook_attempts').selectAll().where('delivery_id', 'in', deliveryIds).orderBy('attempt').execute();
}
