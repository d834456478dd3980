/** Webhook history retention on SQLite and PostgreSQL: what goes, what stays, and nothing twice when nodes prune at once. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ManualClock } from '../../src/core/clock.js';
import { newId } from '../../src/core/ids.js';
import { type Runtime, openRuntime } from '../../src/runtime.js';
import { OPERATOR } from '../../src/store/audit-repo.js';
import { pendingDelivery } from '../../src/webhooks/outbox.js';
import { WebhookPruner } from '../../src/webhooks/retention.js';
import { testDatabases } from '../helpers/services.js';

const DAY = 86_400_000;

describe.each(await testDatabases())('webhook history retention ($name)', (database) => {
  let rt: Runtime;
  let drop: () => Promise<void>;
  const clock = new ManualClock(Date.UTC(2026, 6, 1, 12));
  let endpointId: string;
  let tenantId: string;

  beforeAll(async () => {
    const created = await database.create();
    drop = created.drop;
    rt = await openRuntime({ ...loadConfig({}), databaseUrl: created.url, webhooksAllowPrivate: true }, clock);
    const org = await rt.orgs.create(`Retention ${database.name}`);
    tenantId = org.tenants.sandbox.id;
    endpointId = (await rt.webhooks.create({ orgId: org.org.id, environment: 'sandbox', url: 'http://127.0.0.1:9/hook', events: ['article.published'] }, OPERATOR)).id;
  });
  afterAll(async () => {
    await rt.close();
    await drop();
  });

  /** An event `ageDays` old with one delivery in `status` (or none), finished when it was made, with two attempts. */
  async function history(label: string, ageDays: number, status: 'pending' | 'delivered' | 'failed' | null) {
    const at = clock.now() - ageDays * DAY;
    const eventId = newId('evt', at);
    await rt.store.db.insertInto('webhook_events').values({ id: eventId, tenant_id: tenantId, type: 'article.published', payload: JSON.stringify({ label }), created_at: at }).execute();
    if (status === null) return { eventId, deliveryId: null };
    const delivery = { ...pendingDelivery(endpointId, eventId, tenantId, at), status, completed_at: status === 'pending' ? null : at + 1_000 };
    await rt.store.db.insertInto('webhook_deliveries').values(delivery).execute();
    for (const attempt of [1, 2]) {
      await rt.store.db
        .insertInto('webhook_attempts')
        .values({ id: newId('att', at + attempt), delivery_id: delivery.id, endpoint_id: endpointId, attempt, started_at: at + attempt, latency_ms: 5, status_code: 500, response_body: null, response_truncated: 0, error: null })
        .execute();
    }
    return { eventId, deliveryId: delivery.id };
  }

  const ids = async (table: 'webhook_events' | 'webhook_deliveries') => new Set((await rt.store.db.selectFrom(table).select('id').execute()).map((r) => r.id));
  const attemptsOf = async (deliveryId: string) => (await rt.store.db.selectFrom('webhook_attempts').select('id').where('delivery_id', '=', deliveryId).execute()).length;

  it('drops finished deliveries past the retention with their attempts, then events nothing refers to; keeps pending and recent history', async () => {
    const oldDelivered = await history('old delivered', 45, 'delivered');
    const oldFailed = await history('old failed', 31, 'failed');
    const oldPending = await history('old pending', 40, 'pending');
    const oldUnsent = await history('old, no endpoint wanted it', 40, null);
    const recentDelivered = await history('recent delivered', 29, 'delivered');
    const recentUnsent = await history('recent, no delivery', 1, null);

    const result = await new WebhookPruner(rt.store.db, clock, 30).runOnce();

    expect(result).toEqual({ deliveries: 2, events: 3 });
    const deliveries = await ids('webhook_deliveries');
    expect(deliveries.has(oldDelivered.deliveryId!)).toBe(false);
    expect(deliveries.has(oldFailed.deliveryId!)).toBe(false);
    expect(await attemptsOf(oldDelivered.deliveryId!)).toBe(0);
    expect(await attemptsOf(oldFailed.deliveryId!)).toBe(0);
    expect(deliveries.has(oldPending.deliveryId!)).toBe(true);
    expect(await attemptsOf(oldPending.deliveryId!)).toBe(2);
    expect(deliveries.has(recentDelivered.deliveryId!)).toBe(true);
    expect(await attemptsOf(recentDelivered.deliveryId!)).toBe(2);
    const events = await ids('webhook_events');
    expect([oldDelivered, oldFailed, oldUnsent].map((h) => events.has(h.eventId))).toEqual([false, false, false]);
    expect([oldPending, recentDelivered, recentUnsent].map((h) => events.has(h.eventId))).toEqual([true, true, true]);
    // The endpoint's delivery log shows what is left.
    expect((await rt.webhooks.deliveries(endpointId, 100)).map((d) => d.id).sort()).toEqual([oldPending.deliveryId, recentDelivered.deliveryId].sort());
  });

  it('prunes in chunks, and nodes pruning at once delete each row once', async () => {
    // Ten at a time, as many as the pool has connections: 2,500 at once waited past the pool's 2 s connect timeout on a slow machine.
    for (let i = 0; i < 2_500; i += 10) {
      await Promise.all(Array.from({ length: 10 }, (_, j) => history(`bulk ${i + j}`, 60 + ((i + j) % 5), (i + j) % 2 ? 'delivered' : 'failed')));
    }
    const results = await Promise.all([0, 1, 2].map(() => new WebhookPruner(rt.store.db, clock, 30).runOnce()));
    const total = results.reduce<{ deliveries: number; events: number }>((sum, r) => ({ deliveries: sum.deliveries + r!.deliveries, events: sum.events + r!.events }), { deliveries: 0, events: 0 });
    expect(total).toEqual({ deliveries: 2_500, events: 2_500 });
    const left = await rt.store.db.selectFrom('webhook_deliveries').select('id').where('completed_at', '<', clock.now() - 30 * DAY).execute();
    expect(left).toEqual([]);
  });
});
