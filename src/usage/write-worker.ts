/**
 * The usage writer's thread (SQLite): better-sqlite3 is synchronous, so a batch
 * written on the main thread would hold up every request for its duration. Here
 * it holds up nothing; SQLite's WAL lets this connection write beside the
 * server's own. Batches arrive packed (packed-batch.ts), one at a time, and each is answered.
 * Rollups and last-used times are held and written in key order here too
 * (held-usage.ts); a `drain` writes those due (or all), and `close` writes all.
 * The database was migrated by the main thread before this thread started.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite, sqlitePath } from '../store/db.js';
import { USAGE_HOLD_MS, preparedUsageWriter } from './sqlite-batch.js';
import { type PackedBatch, unpackBatch } from './packed-batch.js';

export type WorkerRequest = { type: 'write'; id: number; batch: PackedBatch } | { type: 'drain'; id: number; all: boolean } | { type: 'close' };
export type WorkerReply = { id: number; ok: true } | { id: number; ok: false; error: string };

const port = parentPort!;
const sqlite = openSqlite(sqlitePath((workerData as { databaseUrl: string }).databaseUrl));
const writeBatch = preparedUsageWriter(sqlite, { holdMs: USAGE_HOLD_MS });
// Failed slices (each after the connection's busy timeout) after which a close gives up on what is held.
const CLOSE_DRAIN_FAILURES = 2;

port.on('message', (message: WorkerRequest) => {
  if (message.type === 'close') {
    for (let failures = 0; writeBatch.held > 0 && failures < CLOSE_DRAIN_FAILURES; ) {
      const before = writeBatch.held;
      try {
        writeBatch.drainHeld(true);
      } catch {
        failures++; // busy for the whole timeout
        continue;
      }
      if (writeBatch.held === before) break;
    }
    sqlite.close();
    port.close();
    return;
  }
  try {
    if (message.type === 'drain') while (writeBatch.drainHeld(message.all));
    else writeBatch(unpackBatch(message.batch));
    port.postMessage({ id: message.id, ok: true } satisfies WorkerReply);
  } catch (error) {
    port.postMessage({ id: message.id, ok: false, error: error instanceof Error ? error.message : String(error) } satisfies WorkerReply);
  }
});
