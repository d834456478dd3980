/**
 * Usage retention: the request log (event blocks) is kept for
 * ATENDER_USAGE_RETENTION_DAYS (default 30; a block goes once its last request
 * is that old). Rollups age through three tiers: minute rows for
 * MINUTE_ROLLUP_DAYS, then folded into hour rows, kept for HOUR_ROLLUP_DAYS (so
 * a 30-day query stays at hour resolution), then folded into day rows, which
 * are kept for good (they are the key's usage history). The server prunes at
 * start and hourly, in small chunks so no transaction holds the database for
 * long.
 *
 * Why an hour tier: a key used every minute left 44,640 minute rows per route
 * and status over 31 days, and the rollups' primary-key index, which every
 * first use of a key in a minute inserts into, grew with every active key by
 * that much. Minute rows are only needed for windows short enough to be drawn
 * by the minute (queries.ts); kept for 2 days, and hours after that, the same
 * key leaves 3,576 rows over those 31 days.
 *
 * A rollup is folded by deleting it and adding what the delete returned to
 * its longer period's row, in one transaction: at every moment each request is
 * counted in exactly one row, which is what lets queries add the tiers up
 * (queries.ts). Nodes pruning at once cannot fold a row twice: only one delete
 * returns it.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { PeriodicJob } from '../ops/periodic-job.js';
import { type PrunedChunk, inChunks } from '../store/chunks.js';
import type { Database } from '../store/schema.js';
import { PERIOD_MS, foldInto, rollupOf, rollupRow, upsertRollupRows } from './writer.js';

/** Minute rows are folded into hours after this many days: a 24-hour window (the CLI's default) still reads minutes. */
export const MINUTE_ROLLUP_DAYS = 2;
/** Hour rows are folded into days after this many days: a 30-day window reads hours. */
export const HOUR_ROLLUP_DAYS = 31;
const DAY_MS = PERIOD_MS.day;
const CHUNK = 5_000;
// A block holds up to 1,000 requests: 50 of them are as many as CHUNK rows were.
const BLOCK_CHUNK = 50;

export interface PruneResult {
  /** Blocks of the request log deleted. */
  eventBlocks: number;
  /** Minute rollups folded into hours. */
  minuteRollups: number;
  /** Hour rollups folded into days. */
  hourRollups: number;
}

export async function pruneUsage(db: Kysely<Database>, now: number, retentionDays: number): Promise<PruneResult> {
  const eventsBefore = now - retentionDays * DAY_MS;
  // A range of the last_ts index.
  const eventBlocks = await inChunks(BLOCK_CHUNK, async () => {
    const result = await db
      .deleteFrom('usage_event_blocks')
      .where('id', 'in', (eb) => eb.selectFrom('usage_event_blocks').select('id').where('last_ts', '<', eventsBefore).limit(BLOCK_CHUNK))
      .executeTakeFirst();
    const n = Number(result.numDeletedRows);
    return { found: n, deleted: n };
  });
  // Minutes first: those past both ages reach their day through their hour.
  const minuteRollups = await inChunks(CHUNK, () => fold(db, 'minute', 'hour', now - MINUTE_ROLLUP_DAYS * DAY_MS));
  const hourRollups = await inChunks(CHUNK, () => fold(db, 'hour', 'day', now - HOUR_ROLLUP_DAYS * DAY_MS));
  return { eventBlocks, minuteRollups, hourRollups };
}

/** Moves up to CHUNK rollups of period `from` older than `before` into their rollups of period `into`. */
async function fold(db: Kysely<Database>, from: 'minute' | 'hour', into: 'hour' | 'day', before: number): Promise<PrunedChunk> {
  return db.transaction().execute(async (tx) => {
    const oldest = tx
      .selectFrom('usage_rollups')
      .select(['key_id', 'period', 'bucket_start', 'route', 'status'])
      .where('period', '=', from)
      .where('bucket_start', '<', before)
      .orderBy('bucket_start')
      .limit(CHUNK);
    const moved = await tx
      .deleteFrom('usage_rollups')
      .where((eb) => eb(eb.refTuple('key_id', 'period', 'bucket_start', 'route', 'status'), 'in', oldest.$asTuple('key_id', 'period', 'bucket_start', 'route', 'status')))
      .returningAll()
      .execute();
    await upsertRollupRows(tx, foldInto(into, moved.map(rollupOf)).map(rollupRow));
    // Only the delete that returned a row folds it: what was found is what was moved.
    return { found: moved.length, deleted: moved.length };
  });
}

/** Prunes usage at start and hourly. */
export class UsagePruner extends PeriodicJob<PruneResult> {
  constructor(db: Kysely<Database>, clock: Clock, retentionDays: number, intervalMs = 3_600_000) {
    super(() => pruneUsage(db, clock.now(), retentionDays), intervalMs);
  }
}
