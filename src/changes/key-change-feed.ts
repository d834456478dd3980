/**
 * How a node learns that a key changed anywhere (another node, the CLI writing
 * the database directly): every change appends to `key_changes` in its own
 * transaction, and each node polls that table by sequence number. The same
 * query serves SQLite and PostgreSQL; a PostgreSQL node is also woken at once
 * by NOTIFY (see pg-notify.ts). The feed is "healthy" while polls succeed and,
 * on PostgreSQL, while the LISTEN connection is up; the verifier trusts its
 * cache only then.
 */
import type { Clock } from '../core/clock.js';
import type { Store } from '../store/db.js';
import type { FeedHealth } from '../auth/key-verifier.js';

const GAP_PATIENCE_MS = 30_000;

export interface ChangeSink {
  invalidateKey(keyId: string): void;
  forgetUnknown(digest: string): void;
}

export interface FeedOptions {
  intervalMs?: number;
  /** How long after the last good poll the feed still counts as healthy. */
  healthyForMs?: number;
  /** The NOTIFY connection, when there is one: the feed is unhealthy while it is down. */
  signal?: { readonly listening: boolean };
}

export class KeyChangeFeed implements FeedHealth {
  private lastSeq = 0;
  /**
   * Sequence numbers skipped over: on PostgreSQL a lower number can commit after
   * a higher one. They are asked for again until they appear or are old enough
   * to be a rolled-back transaction's.
   */
  private readonly gaps = new Map<number, number>();
  private lastOkAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  /** Once stopped, nothing (not even a NOTIFY) makes the feed poll and look healthy again. */
  private stopped = false;
  private readonly intervalMs: number;
  private readonly healthyForMs: number;
  failures = 0;

  constructor(
    private readonly store: Store,
    private readonly sink: ChangeSink,
    private readonly clock: Clock,
    private readonly options: FeedOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 200;
    this.healthyForMs = options.healthyForMs ?? 1_000;
  }

  async start(): Promise<void> {
    const row = await this.store.db.selectFrom('key_changes').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
    this.lastSeq = Number(row?.seq ?? 0);
    this.lastOkAt = this.clock.now();
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
  }

  healthy(now: number): boolean {
    return now - this.lastOkAt <= this.healthyForMs && (this.options.signal?.listening ?? true);
  }

  /**
   * Reads new changes now. A call while a poll runs queues one more after it (that
   * poll may have started before the change committed); further calls share it.
   */
  poll(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (!this.polling) {
      this.polling = this.readChanges().finally(() => (this.polling = null));
      return this.polling;
    }
    this.queued ??= this.polling.then(() => {
      this.queued = null;
      return this.poll();
    });
    return this.queued;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.queued;
    await this.polling;
  }

  private async readChanges(): Promise<void> {
    const startedAt = this.clock.now();
    try {
      for (;;) {
        const gaps = [...this.gaps.keys()];
        const rows = await this.store.db
          .selectFrom('key_changes')
          .select(['seq', 'key_id', 'digest'])
          .where((eb) => (gaps.length > 0 ? eb.or([eb('seq', '>', this.lastSeq), eb('seq', 'in', gaps)]) : eb('seq', '>', this.lastSeq)))
          .orderBy('seq')
          .limit(1000)
          .execute();
        for (const row of rows) {
          const seq = Number(row.seq);
          this.sink.invalidateKey(row.key_id);
          if (row.digest) this.sink.forgetUnknown(row.digest);
          if (this.gaps.delete(seq)) continue;
          for (let missing = this.lastSeq + 1; missing < seq && this.lastSeq > 0; missing++) this.gaps.set(missing, startedAt);
          this.lastSeq = Math.max(this.lastSeq, seq);
        }
        for (const [seq, seenAt] of this.gaps) if (startedAt - seenAt > GAP_PATIENCE_MS) this.gaps.delete(seq);
        if (rows.length < 1000) break;
      }
      // Healthy as of when the poll started: a change committed after that is caught next time.
      this.lastOkAt = startedAt;
    } catch {
      this.failures++;
    }
  }
}
