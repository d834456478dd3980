/**
 * Usage events leave the request path through a bounded ring buffer and are
 * written in batches (usage/writer.ts; on SQLite by a worker thread, see
 * worker-writer.ts), so recording costs a request one array store and no I/O. A batch is written as soon as one is full, and whatever is
 * buffered at least every `flushIntervalMs` (default 1 s; usage shows within 5 s).
 *
 * Bounded: when the database falls behind and the buffer is full, the oldest
 * events are dropped and counted (`stats.dropped`) rather than letting memory
 * grow. A failed write puts its batch back (as much as fits) and is retried at
 * the next flush. `stop()` writes everything still buffered: graceful shutdown
 * loses nothing while the database is reachable.
 */
import { RingBuffer } from './ring-buffer.js';
import type { BatchWriter, UsageEvent } from './writer.js';

export type { UsageEvent } from './writer.js';

export interface UsageSink {
  record(event: UsageEvent): void;
}

export interface RecorderOptions {
  flushIntervalMs?: number;
  /** Most events held in memory; beyond this the oldest are dropped. */
  capacity?: number;
  batchSize?: number;
}

/** Counters for the metrics endpoint: each event ends up written, dropped or still pending. */
export interface UsageRecorderStats {
  /** Events handed to `record`. */
  recorded: number;
  /** Events committed to the database. */
  written: number;
  /** Events lost: overwritten while the buffer was full, or left unwritten at shutdown. */
  dropped: number;
  /** Batches committed. */
  batches: number;
  /** Batch writes that failed (their events were put back for the next try). */
  failedWrites: number;
}

export class UsageRecorder implements UsageSink {
  readonly stats: UsageRecorderStats = { recorded: 0, written: 0, dropped: 0, batches: 0, failedWrites: 0 };
  readonly capacity: number;
  private readonly buffer: RingBuffer<UsageEvent>;
  private readonly flushIntervalMs: number;
  private readonly batchSize: number;
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  private drainScheduled = false;
  private inFlight = 0;

  constructor(
    private readonly writer: BatchWriter,
    options: RecorderOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 1_000;
    this.capacity = options.capacity ?? 100_000;
    this.batchSize = options.batchSize ?? writer.batchSize ?? 1_000;
    this.buffer = new RingBuffer(this.capacity);
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(1, 'due'), this.flushIntervalMs);
    this.timer.unref();
  }

  record(event: UsageEvent): void {
    this.stats.recorded++;
    if (this.buffer.push(event)) this.stats.dropped++;
    // A full batch is written soon, not at the next tick of the timer, but never inside the request.
    if (this.buffer.length >= this.batchSize && !this.draining && !this.drainScheduled && this.timer) {
      this.drainScheduled = true;
      setImmediate(() => {
        this.drainScheduled = false;
        void this.flush(this.batchSize, 'none');
      });
    }
  }

  /** Events buffered or being written, not yet committed. */
  get pending(): number {
    return this.buffer.length + this.inFlight;
  }

  /**
   * Writes what is buffered, batch by batch (with `minimum`, only while that many are waiting); resolves when done
   * or a write failed. Concurrent calls share the running drain, then drain again. Then, for a writer that holds
   * rollups: `all` of them, those `due`, or `none`.
   */
  async flush(minimum = 1, held: 'all' | 'due' | 'none' = 'all'): Promise<void> {
    while (this.draining) await this.draining;
    if (this.buffer.length >= minimum && this.buffer.length > 0) {
      this.draining = this.drain(minimum).finally(() => (this.draining = null));
      await this.draining;
    }
    if (held === 'none' || !this.writer.drainHeld) return;
    try {
      await this.writer.drainHeld(held === 'all');
    } catch {
      // Nothing held is lost: what did not commit is written at the next try.
      this.stats.failedWrites++;
    }
  }

  /** Stops the timer and writes what is left; whatever cannot be written is counted as dropped. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
    if (this.buffer.length > 0) await this.flush(); // one retry after a failed write
    this.stats.dropped += this.buffer.take(this.buffer.length).length;
    await this.writer.close();
  }

  /**
   * Writes batches while at least `minimum` events are buffered. A drain started
   * by a full batch stops at the partial remainder (the timer takes it), so
   * under load every write carries a whole batch and its fixed costs (the
   * transaction, rollup upserts, the hand-off to the writer) are paid once per
   * `batchSize` events rather than once per few.
   */
  private async drain(minimum: number): Promise<void> {
    while (this.buffer.length >= Math.max(1, minimum)) {
      const batch = this.buffer.take(this.batchSize);
      this.inFlight = batch.length;
      try {
        await this.writer.write(batch);
        this.stats.written += batch.length;
        this.stats.batches++;
      } catch {
        this.stats.failedWrites++;
        this.stats.dropped += this.buffer.restore(batch);
        return;
      } finally {
        this.inFlight = 0;
      }
      // A direct better-sqlite3 write is synchronous: let requests in between batches.
      if (this.buffer.length >= Math.max(1, minimum)) await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
