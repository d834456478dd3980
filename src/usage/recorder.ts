/**
 * Usage events leave the request path through a bounded in-memory buffer and are
 * written in batches, so recording adds no I/O to a request. When the database
 * falls behind and the buffer is full, the oldest events are dropped and counted
 * (`dropped`) rather than letting memory grow without bound.
 */
import type { Store } from '../store/db.js';

export interface UsageEvent {
  keyId: string;
  secretId: string | null;
  ts: number;
  method: string;
  route: string;
  status: number;
  latencyMs: number;
  ip: string | null;
}

export interface UsageSink {
  record(event: UsageEvent): void;
}

export interface RecorderOptions {
  flushIntervalMs?: number;
  maxBuffered?: number;
  batchSize?: number;
}

export class UsageRecorder implements UsageSink {
  private buffer: UsageEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private readonly flushIntervalMs: number;
  private readonly maxBuffered: number;
  private readonly batchSize: number;
  dropped = 0;
  written = 0;
  failedFlushes = 0;

  constructor(
    private readonly store: Store,
    options: RecorderOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 1_000;
    this.maxBuffered = options.maxBuffered ?? 100_000;
    this.batchSize = options.batchSize ?? 500;
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.flushIntervalMs);
    this.timer.unref();
  }

  record(event: UsageEvent): void {
    if (this.buffer.length >= this.maxBuffered) {
      this.buffer.shift();
      this.dropped++;
    }
    this.buffer.push(event);
  }

  get pending(): number {
    return this.buffer.length;
  }

  /** Writes everything buffered so far. Overlapping calls wait for the running flush, then flush again. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.buffer.length === 0) return;
    this.flushing = this.writeAll().finally(() => (this.flushing = null));
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  private async writeAll(): Promise<void> {
    const events = this.buffer;
    this.buffer = [];
    let done = 0;
    try {
      while (done < events.length) {
        const batch = events.slice(done, done + this.batchSize);
        await this.writeBatch(batch);
        done += batch.length;
        this.written += batch.length;
      }
    } catch {
      this.failedFlushes++;
      // Keep what was not written, oldest first, within the bound.
      const merged = events.slice(done).concat(this.buffer);
      const excess = merged.length - this.maxBuffered;
      if (excess > 0) this.dropped += excess;
      this.buffer = excess > 0 ? merged.slice(excess) : merged;
    }
  }

  private async writeBatch(batch: UsageEvent[]): Promise<void> {
    const lastUsed = new Map<string, number>();
    for (const e of batch) if (e.secretId) lastUsed.set(e.secretId, Math.max(lastUsed.get(e.secretId) ?? 0, e.ts));
    await this.store.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('usage_events')
        .values(batch.map((e) => ({ key_id: e.keyId, secret_id: e.secretId, ts: e.ts, method: e.method, route: e.route, status: e.status, latency_ms: e.latencyMs, ip: e.ip })))
        .execute();
      for (const [secretId, ts] of lastUsed) {
        await tx
          .updateTable('api_key_secrets')
          .set({ last_used_at: ts })
          .where('id', '=', secretId)
          .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', ts)]))
          .execute();
      }
    });
  }
}
