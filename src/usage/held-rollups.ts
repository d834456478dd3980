/**
 * Minute rollups held across batches, then written in primary-key order, a
 * slice with each batch. Why: with many keys, a batch's first use of each key
 * in a new minute inserts a row at a random place of the rollups' index, one
 * page per insert, and SQLite writes every page a transaction dirtied to its
 * log at commit. A bench keys-1M batch of 250 such events wrote 500-590 pages
 * (2 MB) where a batch of rows that exist wrote 26. Held for a couple of seconds
 * and sorted, the same inserts fall many to a page.
 *
 * Raw events are never held (they append at the end of their table anyway);
 * only their rollups wait, so usage reads lag by up to about twice the hold,
 * within the SPEC's 5 s. A crash loses what is held, as it loses the
 * recorder's buffer.
 *
 * Held rollups come from a pool and go back to it once written: objects that
 * live for seconds are promoted, and promoted garbage grew the heap by 100 MB
 * or more when rollups were last held as fresh objects (BENCHMARKS.md).
 */
import { LATENCY_BUCKETS, latencyBucket } from '../core/latency.js';
import { type Rollup, type UsageEvent, byPrimaryKey } from './writer.js';

const MINUTE_MS = 60_000;

/** A held rollup, linked to the next one of the same key. */
type HeldRollup = Rollup & { next: HeldRollup | null };

export class HeldRollups {
  /** First rollup of each key, filling since `fillingSince`. */
  private filling = new Map<string, HeldRollup>();
  private fillingCount = 0;
  private fillingSince = 0;
  /** Being written, in primary-key order, from `cursor` on. */
  private draining: HeldRollup[] = [];
  private cursor = 0;
  /** Written rollups, for reuse: never more than were once held at a time (at most twice `maxFilling`). */
  private readonly pool: HeldRollup[] = [];

  constructor(
    private readonly holdMs: number,
    /** Filling starts draining early at this many rollups, which bounds memory. */
    private readonly maxFilling = 50_000,
  ) {}

  /** Rollups held, filling or not yet written. */
  get size(): number {
    return this.fillingCount + this.draining.length - this.cursor;
  }

  /** Adds committed events to the filling rollups. */
  add(batch: readonly UsageEvent[], now: number): void {
    if (this.fillingCount === 0) this.fillingSince = now;
    for (const e of batch) {
      const start = e.ts - (e.ts % MINUTE_MS);
      const first = this.filling.get(e.keyId) ?? null;
      let r = first;
      while (r !== null && !(r.bucket_start === start && r.status === e.status && r.route === e.route)) r = r.next;
      if (r === null) {
        r = this.take(e, start, first);
        this.filling.set(e.keyId, r);
      }
      r.count++;
      r.latency_ms_sum += e.latencyMs;
      r.histogram[latencyBucket(e.latencyMs)]!++;
    }
  }

  /**
   * Once the last drain is written: the filling rollups start draining when they
   * have waited `holdMs` (or at once with `force`, or when there are too many).
   */
  rotate(now: number, force = false): void {
    if (this.cursor < this.draining.length || this.fillingCount === 0) return;
    if (!force && now - this.fillingSince < this.holdMs && this.fillingCount < this.maxFilling) return;
    const draining = this.draining;
    draining.length = 0;
    for (const first of this.filling.values()) {
      for (let r: HeldRollup | null = first; r !== null; r = r.next) draining.push(r);
    }
    draining.sort(byPrimaryKey);
    this.filling.clear();
    this.fillingCount = 0;
    this.cursor = 0;
  }

  /** Up to `n` rollups to write next, in primary-key order. Call `written` once they commit. */
  next(n: number): readonly Rollup[] {
    return this.draining.slice(this.cursor, this.cursor + n);
  }

  /** The first `n` rollups `next` gave were committed. */
  written(n: number): void {
    const end = Math.min(this.cursor + n, this.draining.length);
    for (let i = this.cursor; i < end; i++) this.pool.push(this.draining[i]!);
    this.cursor = end;
    if (this.cursor === this.draining.length) {
      this.draining.length = 0;
      this.cursor = 0;
    }
  }

  private take(e: UsageEvent, start: number, next: HeldRollup | null): HeldRollup {
    this.fillingCount++;
    const r = this.pool.pop();
    if (r === undefined) {
      return { key_id: e.keyId, period: 'minute', bucket_start: start, route: e.route, status: e.status, required_scopes: e.requiredScopes, count: 0, latency_ms_sum: 0, histogram: new Array<number>(LATENCY_BUCKETS).fill(0), next };
    }
    r.key_id = e.keyId;
    r.bucket_start = start;
    r.route = e.route;
    r.status = e.status;
    r.required_scopes = e.requiredScopes;
    r.count = 0;
    r.latency_ms_sum = 0;
    r.histogram.fill(0);
    r.next = next;
    return r;
  }
}
