/**
 * Usage retention: the request log (event blocks) is kept for
 * ATENDER_USAGE_RETENTION_DAYS (default 30; a block goes once its last request
 * is that old), minute rollups for MINUTE_ROLLUP_DAYS (so a 30-day query stays at minute
 * resolution), then folded into day rollups, which are kept for good (they are
 * the key's usage history). The server prunes at start and hourly, in small
 * chunks so no transaction holds the database for long.
 *
 * A minute rollup is folded by deleting it and adding what the delete returned
 * to its day's row, in one transaction: at every moment each request is counted
 * in exactly one row, a minute one or a day one, which is what lets queries add
 * the two up (queries.ts). Nodes pruning at once cannot fold a row twice: only
 * one delete returns it.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { PeriodicJob } from '../ops/periodic-job.js';
import { type PrunedChunk, inChunks } from '../store/chunks.js';
import type { Database } from '../store/schema.js';
import { foldIntoDays, rollupOf, rollupRow, upsertRollupRows } from './writer.js';

export const MINUTE_ROLLUP_DAYS = 31;
const DAY_MS = 86_400_000;
const CHUNK = 5_000;
// A block holds up to 1,000 requests: 50 of them are as many as CHUNK rows were.
const BLOCK_CHUNK = 50;

export interface PruneResult {
  /** Blocks of the request log deleted. */
  eventBlocks: number;
  minuteRollups: number;
}

export async function pruneUsage(db: Kysely<Database>, now: number, retentionDays: number): Promise<PruneResult> {
  const eventsBefore = now - retentionDays * DAY_MS;
  const minutesBefore = now - MINUTE_ROLLUP_DAYS * DAY_MS;
  // A range of the last_ts index.
  const eventBlocks = await inChunks(BLOCK_CHUNK, async () => {
    const result = await db
      .deleteFrom('usage_event_blocks')
      .where('id', 'in', (eb) => eb.selectFrom('usage_event_blocks').select('id').where('last_ts', '<', eventsBefore).limit(BLOCK_CHUNK))
      .executeTakeFirst();
    const n = Number(result.numDeletedRows);
    return { found: n, deleted: n };
  });
  const minuteRollups = await inChunks(CHUNK, () => foldMinutes(db, minutesBefore));
  return { eventBlocks, minuteRollups };
}

/** Moves up to CHUNK minute rollups older than `before` into their day rollups. */
async function foldMinutes(db: Kysely<Database>, before: number): Promise<PrunedChunk> {
  return db.transaction().execute(async (tx) => {
    const oldest = tx
      .selectFrom('usage_rollups')
      .select(['key_id', 'period', 'bucket_start', 'route', 'status'])
      .where('period', '=', 'minute')
      .where('bucket_start', '<', before)
      .orderBy('bucket_start')
      .limit(CHUNK);
    const moved = await tx
      .deleteFrom('usage_rollups')
      .where((eb) => eb(eb.refTuple('key_id', 'period', 'bucket_start', 'route', 'status'), 'in', oldest.$asTuple('key_id', 'period', 'bucket_start', 'route', 'status')))
      .returningAll()
      .execute();
    await upsertRollupRows(tx, foldIntoDays(moved.map(rollupOf)).map(rollupRow));
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
