/**
 * The transactional outbox. A service that changes something calls
 * `enqueueEvent` inside the transaction of the change: the event row and one
 * delivery row per subscribed endpoint commit together with the change or not at
 * all, so a crash after commit loses nothing (the dispatcher finds the rows) and
 * a rolled-back change sends nothing. Callers open the transaction with
 * `inTransaction` (store/transactions.ts).
 */
import { newId } from '../core/ids.js';
import { type WebhookEventType, eventPayload } from '../core/webhooks.js';
import type { Db } from '../store/keys-repo.js';
import { afterCommit } from '../store/transactions.js';

export interface OutboxEvent {
  tenantId: string;
  type: WebhookEventType;
  data: object;
}

const commitListeners = new Set<() => void>();
const wakeDispatchers = () => {
  for (const listener of commitListeners) listener();
};

/**
 * Writes the event and its pending deliveries; returns the event id (the
 * `webhook-id`). Pass the transaction of the change (a plain handle works but
 * loses the all-or-nothing guarantee) and the injected clock's time.
 */
export async function enqueueEvent(tx: Db, event: OutboxEvent, now: number = Date.now()): Promise<string> {
  const eventId = newId('evt', now);
  await tx.insertInto('webhook_events').values({ id: eventId, tenant_id: event.tenantId, type: event.type, payload: eventPayload(event.type, now, event.data), created_at: now }).execute();
  const endpoints = await tx.selectFrom('webhook_endpoints').select(['id', 'events']).where('tenant_id', '=', event.tenantId).where('enabled', '=', 1).execute();
  const subscribed = endpoints.filter((e) => (JSON.parse(e.events) as string[]).includes(event.type));
  if (subscribed.length > 0) {
    await tx
      .insertInto('webhook_deliveries')
      .values(subscribed.map((e) => pendingDelivery(e.id, eventId, event.tenantId, now)))
      .execute();
  }
  // This node's dispatchers send it as soon as it is committed; other nodes find it at their next poll.
  afterCommit(wakeDispatchers);
  return eventId;
}

export function pendingDelivery(endpointId: string, eventId: string, tenantId: string, now: number) {
  return {
    id: newId('dlv', now),
    endpoint_id: endpointId,
    event_id: eventId,
    tenant_id: tenantId,
    status: 'pending' as const,
    attempts: 0,
    next_attempt_at: now,
    locked_until: null,
    claim_token: null,
    last_status: null,
    last_error: null,
    created_at: now,
    updated_at: now,
    completed_at: null,
  };
}

/** Deliveries written without an event (manual retry, replay) wake the dispatchers too. */
export function markDeliveriesWritten(): void {
  afterCommit(wakeDispatchers);
}

/** Subscribes to "events were committed in this process"; returns the unsubscribe. */
export function onEventsCommitted(listener: () => void): () => void {
  commitListeners.add(listener);
  return () => commitListeners.delete(listener);
}
