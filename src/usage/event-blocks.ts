/**
 * The raw request log, stored a block per written batch: one row holds up to
 * EVENTS_PER_BLOCK events as JSON, each distinct string of the block once and
 * every event as eight numbers. A row per event cost SQLite 1.8 µs of CPU per
 * event (two B-tree inserts, 114 bytes, and the checkpoint copying them again);
 * a block costs 0.6 µs and 33 bytes an event (scratch measurement in process,
 * 400,000 events; BENCHMARKS.md). Nothing in the product reads raw events by
 * key (usage queries read the rollups), so nothing is lost by the packing: the
 * log is read back whole (`readUsageEvents`), and it is still plain JSON for
 * SQL (`json_each` in SQLite, `json_array_elements` in PostgreSQL).
 *
 * Block JSON: `{"v": 1, "strings": [...], "events": [...]}`, 8 numbers an
 * event: key id, secret id, method, route and ip as indexes into `strings`
 * (-1 for none), then ms after the block's `first_ts`, status, latency in µs.
 */
import type { Insertable, Kysely, Transaction } from 'kysely';
import type { Database, UsageEventBlocksTable } from '../store/schema.js';
import { stringTable } from './packed-batch.js';
import type { UsageEvent } from './writer.js';

/** Most events in one block: a row stays some tens of KB. */
export const EVENTS_PER_BLOCK = 1_000;
export const BLOCK_FORMAT = 1;
const FIELDS = 8;

/** An event as the log keeps it (the route's required scopes are in the rollups, not here). */
export type LoggedEvent = Omit<UsageEvent, 'requiredScopes'>;

export type EventBlockRow = Insertable<UsageEventBlocksTable>;

/** The block row for `events` (1 to EVENTS_PER_BLOCK of them, in the order they are logged). */
export function eventBlock(events: readonly LoggedEvent[]): EventBlockRow {
  if (events.length === 0 || events.length > EVENTS_PER_BLOCK) throw new RangeError(`a block holds 1 to ${EVENTS_PER_BLOCK} events, not ${events.length}`);
  const { strings, ref } = stringTable();
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const e of events) {
    if (e.ts < first) first = e.ts;
    if (e.ts > last) last = e.ts;
  }
  const numbers = new Array<number>(events.length * FIELDS);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const n = i * FIELDS;
    numbers[n] = ref(e.keyId);
    numbers[n + 1] = ref(e.secretId);
    numbers[n + 2] = ref(e.method);
    numbers[n + 3] = ref(e.route);
    numbers[n + 4] = ref(e.ip);
    numbers[n + 5] = e.ts - first;
    numbers[n + 6] = e.status;
    numbers[n + 7] = Math.round(e.latencyMs * 1000);
  }
  return { first_ts: first, last_ts: last, count: events.length, events: JSON.stringify({ v: BLOCK_FORMAT, strings, events: numbers }) };
}

/** The events of one stored block, in logged order. */
export function blockEvents(row: { first_ts: number | string; events: string }): LoggedEvent[] {
  const block = JSON.parse(row.events) as { v: number; strings: string[]; events: number[] };
  if (block.v !== BLOCK_FORMAT) throw new Error(`usage event block of format ${block.v}; this version reads format ${BLOCK_FORMAT}`);
  const { strings, events: numbers } = block;
  const first = Number(row.first_ts);
  const str = (i: number) => (i < 0 ? null : strings[i]!);
  const events: LoggedEvent[] = [];
  for (let n = 0; n < numbers.length; n += FIELDS) {
    events.push({
      keyId: strings[numbers[n]!]!,
      secretId: str(numbers[n + 1]!),
      method: strings[numbers[n + 2]!]!,
      route: strings[numbers[n + 3]!]!,
      ip: str(numbers[n + 4]!),
      ts: first + numbers[n + 5]!,
      status: numbers[n + 6]!,
      latencyMs: numbers[n + 7]! / 1000,
    });
  }
  return events;
}

/** The block rows for `events`, EVENTS_PER_BLOCK to a block, in logged order (none for none). */
export function eventBlocks(events: readonly LoggedEvent[]): EventBlockRow[] {
  // The usual batch is one block: no copy of it.
  if (events.length <= EVENTS_PER_BLOCK) return events.length === 0 ? [] : [eventBlock(events)];
  const blocks: EventBlockRow[] = [];
  for (let i = 0; i < events.length; i += EVENTS_PER_BLOCK) blocks.push(eventBlock(events.slice(i, i + EVENTS_PER_BLOCK)));
  return blocks;
}

type Db = Kysely<Database> | Transaction<Database>;

export interface EventFilter {
  keyId?: string;
  /** Events at or after this time (epoch ms). */
  since?: number;
}

/** The logged events that match, oldest block first (within a block, in logged order). Reads every block since `since`: give one on a large log. */
export async function readUsageEvents(db: Db, filter: EventFilter = {}): Promise<LoggedEvent[]> {
  let query = db.selectFrom('usage_event_blocks').select(['first_ts', 'events']).orderBy('id');
  if (filter.since !== undefined) query = query.where('last_ts', '>=', filter.since);
  const events: LoggedEvent[] = [];
  for (const row of await query.execute()) {
    for (const e of blockEvents(row)) {
      if ((filter.keyId === undefined || e.keyId === filter.keyId) && (filter.since === undefined || e.ts >= filter.since)) events.push(e);
    }
  }
  return events;
}
