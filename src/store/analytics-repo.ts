/**
 * Conversation analytics, cheap at any size: every write keeps per-day counters
 * (conversations by creation day, channel and current status; messages by
 * sending day) in its own transaction, so a year of analytics reads at most
 * 366 x channels x statuses counter rows. Only the median first response reads
 * conversations, through an index that covers it.
 *
 * All of it is the same SQL on SQLite and PostgreSQL: days are integers (epoch
 * ms / 86,400,000, integer division on both engines) and a bucket is
 * `(day - from_day) / bucket_days`.
 */
import { sql } from 'kysely';
import type { Db } from './keys-repo.js';

export const DAY_MS = 86_400_000;
export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS);

export interface Window {
  tenantId: string;
  /** Inclusive first day, days since 1970-01-01 UTC. */
  fromDay: number;
  /** Exclusive end day. */
  untilDay: number;
  bucketDays: number;
}

export interface BucketCount {
  bucket: number;
  n: number;
}

// ---- write side: called inside the transaction of the change ----

export async function countConversation(db: Db, tenantId: string, day: number, channel: string, status: string, delta: number): Promise<void> {
  await db
    .insertInto('daily_conversation_counts')
    .values({ tenant_id: tenantId, day, channel, status, conversations: delta })
    .onConflict((oc) => oc.columns(['tenant_id', 'day', 'channel', 'status']).doUpdateSet((eb) => ({ conversations: eb('daily_conversation_counts.conversations', '+', delta) })))
    .execute();
}

export async function countMessages(db: Db, tenantId: string, day: number, delta: number): Promise<void> {
  await db
    .insertInto('daily_message_counts')
    .values({ tenant_id: tenantId, day, messages: delta })
    .onConflict((oc) => oc.columns(['tenant_id', 'day']).doUpdateSet((eb) => ({ messages: eb('daily_message_counts.messages', '+', delta) })))
    .execute();
}

const dayExpression = sql<number>`${sql.ref('created_at')} / ${sql.lit(DAY_MS)}`;

/** Takes a contact's conversations and messages out of the counters before they are deleted. */
export async function uncountContact(db: Db, tenantId: string, contactId: string): Promise<void> {
  const conversations = db.selectFrom('conversations').select('id').where('tenant_id', '=', tenantId).where('contact_id', '=', contactId);
  const byDay = await db
    .selectFrom('conversations')
    .select([dayExpression.as('day'), 'channel', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('tenant_id', '=', tenantId)
    .where('contact_id', '=', contactId)
    .groupBy([sql.ref('day'), 'channel', 'status'])
    .execute();
  for (const row of byDay) await countConversation(db, tenantId, Number(row.day), row.channel, row.status, -Number(row.n));
  const messagesByDay = await db
    .selectFrom('messages')
    .select([dayExpression.as('day'), (eb) => eb.fn.countAll<number>().as('n')])
    .where('tenant_id', '=', tenantId)
    .where('conversation_id', 'in', conversations)
    .groupBy(sql.ref('day'))
    .execute();
  for (const row of messagesByDay) await countMessages(db, tenantId, Number(row.day), -Number(row.n));
}

/** Recomputes a tenant's counters from its rows (after a bulk load; and the invariant the tests check). */
export async function rebuildDailyCounts(db: Db, tenantId: string): Promise<void> {
  await db.deleteFrom('daily_conversation_counts').where('tenant_id', '=', tenantId).execute();
  await db.deleteFrom('daily_message_counts').where('tenant_id', '=', tenantId).execute();
  await db
    .insertInto('daily_conversation_counts')
    .columns(['tenant_id', 'day', 'channel', 'status', 'conversations'])
    .expression(
      db
        .selectFrom('conversations')
        .select(['tenant_id', dayExpression.as('day'), 'channel', 'status', (eb) => eb.fn.countAll<number>().as('conversations')])
        .where('tenant_id', '=', tenantId)
        .groupBy(['tenant_id', sql.ref('day'), 'channel', 'status']),
    )
    .execute();
  await db
    .insertInto('daily_message_counts')
    .columns(['tenant_id', 'day', 'messages'])
    .expression(
      db
        .selectFrom('messages')
        .select(['tenant_id', dayExpression.as('day'), (eb) => eb.fn.countAll<number>().as('messages')])
        .where('tenant_id', '=', tenantId)
        .groupBy(['tenant_id', sql.ref('day')]),
    )
    .execute();
}

// ---- read side ----

function bucketOf(window: Window) {
  return sql<number>`(${sql.ref('day')} - cast(${window.fromDay} as bigint)) / cast(${window.bucketDays} as bigint)`;
}

/** Conversations created in the window, by channel and current status. */
export async function conversationCounts(db: Db, window: Window): Promise<{ channel: string; status: string; n: number }[]> {
  const rows = await db
    .selectFrom('daily_conversation_counts')
    .select(['channel', 'status', (eb) => eb.fn.sum<number>('conversations').as('n')])
    .where('tenant_id', '=', window.tenantId)
    .where('day', '>=', window.fromDay)
    .where('day', '<', window.untilDay)
    .groupBy(['channel', 'status'])
    .execute();
  return rows.map((r) => ({ channel: r.channel, status: r.status, n: Number(r.n) }));
}

/** Conversations (by creation day) or messages (by sending day) per bucket; empty buckets are absent. */
export async function countsPerBucket(db: Db, what: 'conversations' | 'messages', window: Window): Promise<BucketCount[]> {
  const table = what === 'conversations' ? 'daily_conversation_counts' : 'daily_message_counts';
  const rows = await db
    .selectFrom(table)
    .select([bucketOf(window).as('bucket'), (eb) => eb.fn.sum<number>(what).as('n')])
    .where('tenant_id', '=', window.tenantId)
    .where('day', '>=', window.fromDay)
    .where('day', '<', window.untilDay)
    .groupBy(sql.ref('bucket'))
    .execute();
  return rows.map((r) => ({ bucket: Number(r.bucket), n: Number(r.n) }));
}

/**
 * Median of the first agent reply delay (ms) over conversations created in the
 * window that got one: the middle row, or the mean of the two middle rows. Null
 * when none got a reply.
 */
export async function medianFirstResponseMs(db: Db, window: Window): Promise<number | null> {
  const responded = db
    .selectFrom('conversations')
    .where('tenant_id', '=', window.tenantId)
    .where('created_at', '>=', window.fromDay * DAY_MS)
    .where('created_at', '<', window.untilDay * DAY_MS)
    .where('first_response_ms', 'is not', null);
  const { n } = await responded.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const total = Number(n);
  if (total === 0) return null;
  const middle = await responded
    .select('first_response_ms')
    .orderBy('first_response_ms')
    .limit(total % 2 === 1 ? 1 : 2)
    .offset(Math.floor((total - 1) / 2))
    .execute();
  const values = middle.map((r) => Number(r.first_response_ms));
  return values.reduce((a, b) => a + b, 0) / values.length;
}
