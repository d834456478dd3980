/**
 * Hands batches to a worker thread that writes them (usage/write-worker.ts), so
 * a synchronous SQLite write never runs on the thread that serves requests. The
 * request thread's whole cost per event is packing it (usage/packed-batch.ts).
 *
 * A thread only helps when there is a core for it: a process that may run on a
 * single core (taskset, a one-CPU machine) writes on the request thread instead,
 * in small batches between requests, and saves the hand-off and the two threads
 * evicting each other's caches (measured: about 15% less CPU per request when
 * pinned to one core; bench/run.js pins the server so).
 *
 * The worker runs compiled code: from `dist/` when the server runs, and from
 * `dist/` too when tests run the TypeScript sources (`npm test` builds first).
 * Without a compiled worker, or when it cannot start, batches are written on
 * the calling thread instead.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Kysely } from 'kysely';
import { openSqlite, sqlitePath, type Store } from '../store/db.js';
import type { Database } from '../store/schema.js';
import { packBatch, transferables } from './packed-batch.js';
import { preparedUsageWriter } from './sqlite-batch.js';
import type { WorkerReply, WorkerRequest } from './write-worker.js';
import { type BatchWriter, type UsageEvent, directWriter } from './writer.js';

export function usageWorkerScript(): URL | null {
  const candidates = [new URL('./write-worker.js', import.meta.url), new URL('../../dist/usage/write-worker.js', import.meta.url)];
  return candidates.find((u) => existsSync(fileURLToPath(u))) ?? null;
}

/** The writer a serving node uses for its database. */
export function usageWriterFor(store: Store, databaseUrl: string, cores = availableParallelism()): BatchWriter {
  if (store.dialect !== 'sqlite') return directWriter(store.db);
  const file = sqlitePath(databaseUrl);
  if (file === ':memory:') return directWriter(store.db);
  const script = cores > 1 ? usageWorkerScript() : null;
  return script ? new WorkerBatchWriter(script, databaseUrl, store.db) : requestThreadWriter(file);
}

/** Batches small enough that writing one between two requests holds them up for about a millisecond. */
export const REQUEST_THREAD_BATCH = 250;

/**
 * Writes on the calling thread, on a connection of its own that never waits for
 * the lock: the server's connection may hold it across an await of this very
 * thread, so waiting would only stall. A busy database fails the write, and the
 * recorder keeps the batch for the next flush.
 *
 * Checkpoints (copying the WAL back into the database, with an fsync) are left
 * to a small thread: run by the committing connection, as SQLite does by
 * default, they stalled the event loop on the disk for milliseconds, tens of
 * them with a million keys. The thread costs almost no CPU; it waits on I/O.
 */
export function requestThreadWriter(file: string): BatchWriter {
  const sqlite = openSqlite(file);
  sqlite.pragma('busy_timeout = 0');
  sqlite.pragma('wal_autocheckpoint = 0');
  const write = preparedUsageWriter(sqlite);
  // Should the thread be lost, this connection goes back to checkpointing for itself.
  const checkpointer = startCheckpointer(file, () => sqlite.open && sqlite.pragma('wal_autocheckpoint = 1000'));
  return {
    batchSize: REQUEST_THREAD_BATCH,
    write: async (batch) => write(batch),
    close: async () => {
      sqlite.close();
      await checkpointer.stop();
    },
  };
}

const CHECKPOINT_EVERY_MS = 250;

// CommonJS, as an eval'd worker is: it needs nothing of ours, only the driver.
const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 0');
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} };
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.once('message', () => { clearInterval(timer); checkpoint(); db.close(); parentPort.close(); });
`;

function startCheckpointer(file: string, onLost: () => void): { stop(): Promise<void> } {
  const worker = new Worker(CHECKPOINTER, { eval: true, workerData: { file, everyMs: CHECKPOINT_EVERY_MS, driver: createRequire(import.meta.url).resolve('better-sqlite3') } });
  worker.unref();
  let stopping = false;
  worker.on('error', () => {});
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      if (!stopping) onLost();
      resolve();
    }),
  );
  return {
    async stop() {
      stopping = true;
      worker.postMessage('stop');
      await exited;
    },
  };
}

interface Waiting {
  resolve: () => void;
  reject: (error: Error) => void;
}

export class WorkerBatchWriter implements BatchWriter {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private everWrote = false;
  /** Set when the worker could not even start: from then on batches are written here. */
  private fallback: BatchWriter | null = null;

  constructor(
    private readonly script: URL,
    private readonly databaseUrl: string,
    private readonly db: Kysely<Database>,
  ) {}

  write(batch: readonly UsageEvent[]): Promise<void> {
    if (this.fallback) return this.fallback.write(batch);
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const worker = this.start();
      this.waiting.set(id, { resolve, reject });
      // A write in flight keeps the process alive (a shutdown must not end before it); an idle thread does not.
      worker.ref();
      const packed = packBatch(batch);
      worker.postMessage({ type: 'write', id, batch: packed } satisfies WorkerRequest, transferables(packed));
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.ref();
    worker.postMessage({ type: 'close' } satisfies WorkerRequest);
    await exited;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script, { workerData: { databaseUrl: this.databaseUrl } });
    worker.on('message', (reply: WorkerReply) => {
      const waiting = this.waiting.get(reply.id);
      if (!waiting) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      if (reply.ok) {
        this.everWrote = true;
        waiting.resolve();
      } else {
        waiting.reject(new Error(reply.error));
      }
    });
    const failAll = (error: Error) => {
      if (this.worker === worker) this.worker = null;
      if (!this.everWrote) this.fallback = directWriter(this.db);
      for (const w of this.waiting.values()) w.reject(error);
      this.waiting.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`usage writer thread exited with ${code}`)));
    this.worker = worker;
    return worker;
  }
}
