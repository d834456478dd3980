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
import { USAGE_HOLD_MS, preparedUsageWriter } from './sqlite-batch.js';
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
/** How long the request thread holds rollups (sqlite-batch.ts USAGE_HOLD_MS, as the writer thread does). */
export const REQUEST_THREAD_HOLD_MS = USAGE_HOLD_MS;
// Transactions (slices, or waits on a busy lock) a close spends writing what is held before it gives up.
const CLOSE_DRAIN_TRIES = 1_000;

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
export function requestThreadWriter(file: string, checkpoints: CheckpointOptions = {}, holdMs = REQUEST_THREAD_HOLD_MS): BatchWriter {
  const sqlite = openSqlite(file);
  sqlite.pragma('busy_timeout = 0');
  sqlite.pragma('wal_autocheckpoint = 0');
  const write = preparedUsageWriter(sqlite, { holdMs });
  // The log file is cut back to this size whenever it starts over (it keeps its high-water mark otherwise).
  sqlite.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  // Should the thread be lost, this connection goes back to checkpointing for itself.
  const checkpointer = startCheckpointer(file, checkpoints, () => sqlite.open && sqlite.pragma('wal_autocheckpoint = 1000'));
  return {
    batchSize: REQUEST_THREAD_BATCH,
    write: async (batch) => {
      await checkpointer.restarted();
      write(batch);
    },
    // A slice at a time, letting requests (and the checkpointer's restarts) in between.
    drainHeld: async (all) => {
      do {
        await checkpointer.restarted();
        await new Promise((resolve) => setImmediate(resolve));
      } while (write.drainHeld(all));
    },
    close: async () => {
      // What is held is written before the connection closes; the lock may be busy for a moment. Past about
      // 10 s of a busy lock the held rollups are given up (their raw rows are written).
      for (let tries = 0; write.held > 0 && tries < CLOSE_DRAIN_TRIES; tries++) {
        await checkpointer.restarted();
        try {
          write.drainHeld(true);
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
      sqlite.close();
      await checkpointer.stop();
    },
  };
}

export interface CheckpointOptions {
  everyMs?: number;
  /** A log longer than this many pages is started over (see CHECKPOINTER). */
  restartFrames?: number;
}

// A page written again within the interval is copied into the database once: at 1 s rather than 250 ms,
// bench keys-1M served 7-12 % more requests per CPU-second and the writer in process took 10.0 against
// 11.0 µs per event (BENCHMARKS.md, session 7). SQLite's own autocheckpoint (1,000 pages) waits far longer.
const CHECKPOINT_EVERY_MS = 1_000;
// 64 MiB of 4 KiB pages: every page read searches the log's index, one hash table per 4,096 pages.
const RESTART_FRAMES = 16_384;
const WAL_SIZE_LIMIT_BYTES = 64 * 2 ** 20;

// Longest a batch waits for a restart to finish before it is written anyway.
const RESTART_WAIT_MS = 200;

// CommonJS, as an eval'd worker is: it needs nothing of ours, only the driver.
// A passive checkpoint copies what it can without waiting. Under steady writes
// it never finds the log at rest, so the log never starts over and only grows
// (660 MB in a minute of bench keys-1M, every page read slower for it). Once it
// is long, the thread raises a shared flag that holds the next batch back (the
// writer awaits it; requests go on), waits for the batch being written, and
// runs a RESTART checkpoint, after which the next commit writes from the start
// of the file.
const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
const holdWrites = new Int32Array(workerData.flag);
db.pragma('busy_timeout = 0');
db.pragma('journal_size_limit = ' + workerData.sizeLimit);
const checkpoint = () => {
  try {
    const [{ log }] = db.pragma('wal_checkpoint(PASSIVE)');
    if (log < workerData.restartFrames) return;
    Atomics.store(holdWrites, 0, 1);
    db.pragma('busy_timeout = 100');
    try { db.pragma('wal_checkpoint(RESTART)'); } finally { db.pragma('busy_timeout = 0'); Atomics.store(holdWrites, 0, 0); }
  } catch {}
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.once('message', () => { clearInterval(timer); checkpoint(); db.close(); parentPort.close(); });
`;

interface Checkpointer {
  /** Resolves when no restart is holding writes back (or after RESTART_WAIT_MS). */
  restarted(): Promise<void>;
  stop(): Promise<void>;
}

function startCheckpointer(file: string, options: CheckpointOptions, onLost: () => void): Checkpointer {
  const flag = new SharedArrayBuffer(4);
  const holdWrites = new Int32Array(flag);
  const workerData = {
    file,
    flag,
    everyMs: options.everyMs ?? CHECKPOINT_EVERY_MS,
    restartFrames: options.restartFrames ?? RESTART_FRAMES,
    sizeLimit: WAL_SIZE_LIMIT_BYTES,
    driver: createRequire(import.meta.url).resolve('better-sqlite3'),
  };
  const worker = new Worker(CHECKPOINTER, { eval: true, workerData });
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
    async restarted() {
      for (const deadline = Date.now() + RESTART_WAIT_MS; Atomics.load(holdWrites, 0) === 1 && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    },
    async stop() {
      stopping = true;
      // Until its last checkpoint is done: a process with nothing else left would exit before it.
      worker.ref();
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
    const packed = packBatch(batch);
    return this.request(this.start(), (id) => ({ type: 'write', id, batch: packed }), transferables(packed));
  }

  /** The thread writes what it holds that is due (or `all` of it); nothing to do before its first batch. */
  drainHeld(all: boolean): Promise<void> {
    if (this.fallback) return this.fallback.drainHeld?.(all) ?? Promise.resolve();
    if (!this.worker) return Promise.resolve();
    return this.request(this.worker, (id) => ({ type: 'drain', id, all }));
  }

  private request(worker: Worker, message: (id: number) => WorkerRequest, transfer: ArrayBuffer[] = []): Promise<void> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.waiting.set(id, { resolve, reject });
      // A request in flight keeps the process alive (a shutdown must not end before it); an idle thread does not.
      worker.ref();
      worker.postMessage(message(id), transfer);
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
