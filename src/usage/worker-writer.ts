/**
 * Hands batches to a worker thread that writes them (usage/write-worker.ts), so
 * a synchronous SQLite write never runs on the thread that serves requests. The
 * request thread's whole cost per event is packing it (usage/packed-batch.ts).
 *
 * The worker runs compiled code: from `dist/` when the server runs, and from
 * `dist/` too when tests run the TypeScript sources (`npm test` builds first).
 * Without a compiled worker, or when it cannot start, batches are written on
 * the calling thread instead.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Kysely } from 'kysely';
import { sqlitePath, type Store } from '../store/db.js';
import type { Database } from '../store/schema.js';
import { packBatch, transferables } from './packed-batch.js';
import type { WorkerReply, WorkerRequest } from './write-worker.js';
import { type BatchWriter, type UsageEvent, directWriter } from './writer.js';

export function usageWorkerScript(): URL | null {
  const candidates = [new URL('./write-worker.js', import.meta.url), new URL('../../dist/usage/write-worker.js', import.meta.url)];
  return candidates.find((u) => existsSync(fileURLToPath(u))) ?? null;
}

/** The writer a serving node uses for its database. */
export function usageWriterFor(store: Store, databaseUrl: string): BatchWriter {
  const script = store.dialect === 'sqlite' && sqlitePath(databaseUrl) !== ':memory:' ? usageWorkerScript() : null;
  return script ? new WorkerBatchWriter(script, databaseUrl, store.db) : directWriter(store.db);
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
