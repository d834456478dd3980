/**
 * The usage writer's thread (SQLite): better-sqlite3 is synchronous, so a batch
 * written on the main thread would hold up every request for its duration. Here
 * it holds up nothing; SQLite's WAL lets this connection write beside the
 * server's own. Batches arrive packed (packed-batch.ts), one at a time, and each is answered.
 * The database was migrated by the main thread before this thread started.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite, sqlitePath } from '../store/db.js';
import { preparedUsageWriter } from './sqlite-batch.js';
import { type PackedBatch, unpackBatch } from './packed-batch.js';

export type WorkerRequest = { type: 'write'; id: number; batch: PackedBatch } | { type: 'close' };
export type WorkerReply = { id: number; ok: true } | { id: number; ok: false; error: string };

const port = parentPort!;
const sqlite = openSqlite(sqlitePath((workerData as { databaseUrl: string }).databaseUrl));
const writeBatch = preparedUsageWriter(sqlite);

port.on('message', (message: WorkerRequest) => {
  if (message.type === 'close') {
    sqlite.close();
    port.close();
    return;
  }
  try {
    writeBatch(unpackBatch(message.batch));
    port.postMessage({ id: message.id, ok: true } satisfies WorkerReply);
  } catch (error) {
    port.postMessage({ id: message.id, ok: false, error: error instanceof Error ? error.message : String(error) } satisfies WorkerReply);
  }
});
