/**
 * Conversation analytics in SQL that runs unchanged on SQLite and PostgreSQL.
 * Times are epoch-ms integers, so a bucket is plain integer division
 * `(created_at - from) / size` on both engines (no date functions needed), and
 * every query is a range on a `(tenant_id, created_at, ...)` index.
 */
import { sql } from 'kysely';
import type { Db } from './keys-repo.js';

export interface Window {
  tenantId: string;
  /** Inclusive start, epoch ms. */
  from: number;
  /** Exclusive end, epoch ms. */
  until: number;
  /** Bucket width, ms. */
  bucketMs: number;
}

export interface BucketCount {
  bucket: number;
  n: number;
}

function bucketOf(window: Window) {
  return sql<number>`(${sql.ref('created_at')} - cast(${window.from} as bigint)) / cast(${window.bucketMs} as bigint)`;
}

/** Conversations created in the window, by channel and current status. */
export async function conversationCounts(db: Db, window: Window): Promise<{ channel: string; status: string; n: number }[]> {
  const rows = await db
    .selectFrom('conversations')
    .select(['channel', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('tenant_id', '=', window.tenantId)
    .where('created_at', '>=', window.from)
    .where('created_at', '<', window.until)
    .groupBy(['channel', 'status'])
    .execute();
  return rows.map((r) => ({ ...r, n: Number(r.n) }));
}

/** Conversations (by creation time) or messages (by sending time) per bucket; empty buckets are absent. */
export async function countsPerBucket(db: Db, table: 'conversations' | 'messages', window: Window): Promise<BucketCount[]> {
  const rows = await db
    .selectFrom(table)
    .select([bucketOf(window).as('bucket'), (eb) => eb.fn.countAll<number>().as('n')])
    .where('tenant_id', '=', window.tenantId)
    .where('created_at', '>=', window.from)
    .where('created_at', '<', window.until)
    .groupBy(sql.ref('bucket'))
    .execute();
  return rows.map((r) => ({ bucket: Number(r.bucket), n: Number(r.n) }));
}

/**
 * Median of the first agent reply delay (ms) over conversations created in the
 * window that got one: the middle row (or the mean of the two middle rows) by
 * window functions, which both engines have. Null when none got a reply.
 */
export async function medianFirstResponseMs(db: Db, window: Window): Promise<number | null> {
  const ranked = db
    .selectFrom('conversations')
    .select([
      'first_response_ms',
      sql<number>`row_number() over (order by ${sql.ref('first_response_ms')})`.as('position'),
      sql<number>`count(*) over ()`.as('total'),
    ])
    .where('tenant_id', '=', window.tenantId)
    .where('created_at', '>=', window.from)
    .where('created_at', '<', window.until)
    .where('first_response_ms', 'is not', null)
    .as('ranked');
  const row = await db
    .selectFrom(ranked)
    .select((eb) => eb.fn.avg<number | string | null>('ranked.first_response_ms').as('median'))
    .where(sql<boolean>`${sql.ref('ranked.position')} in ((${sql.ref('ranked.total')} + 1) / 2, (${sql.ref('ranked.total')} + 2) / 2)`)
    .executeTakeFirst();
  // PostgreSQL's avg is numeric, which pg hands over as a string.
  return row?.median == null ? null : Number(row.median);
}
