/**
 * Minute rollups held across batches, then written in primary-key order, a
 * slice with each batch. Why: with many keys, a batch's first use of each key
 * in a new minute inserts a row at a random place of the rollups' index, one
 * page per insert, and SQLite writes every page a transaction dirtied to its
 * log at commit. A bench keys-1M batch of 250 such events wrote 500-590 pages
 * (2 MB) where a batch of rows that exist wrote 26. Held for a couple of seconds
 * and sorted, the same inserts fall many to a page.
 *
 * Last-used times are held and sorted the same way: with a row per secret
 * they were the other half of those pages.
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
import { LATENCY_BUCKETS } from '../core/latency.js';
import { type Rollup, type UsageEvent, byPrimaryKey, countEvent, minuteStart } from './writer.js';

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
  /** Last-used times held the same way (a new minute's first uses wrote a random page each too), by secret id. */
  private fillingTouches = new Map<string, number>();
  private drainingTouches: [secretId: string, ts: number][] = [];
  private touchCursor = 0;
  /** Written rollups, for reuse: never more than were once held at a time (at most twice `maxFilling`). */
  private readonly pool: HeldRollup[] = [];

  constructor(
    private readonly holdMs: number,
    /** Filling starts draining early at this many rollups, which bounds memory. */
    private readonly maxFilling = 50_000,
  ) {}

  /** Rollups and last-used times held, filling or not yet written. */
  get size(): number {
    return this.fillingCount + this.draining.length - this.cursor + this.fillingTouches.size + this.drainingTouches.length - this.touchCursor;
  }

  /** Adds committed events to the filling rollups, and the last-used times they make due. */
  add(batch: readonly UsageEvent[], now: number, touches: readonly (readonly [secretId: string, ts: number])[] = []): void {
    if (this.fillingCount === 0 && this.fillingTouches.size === 0) this.fillingSince = now;
    for (const [secretId, ts] of touches) if (ts > (this.fillingTouches.get(secretId) ?? Number.NEGATIVE_INFINITY)) this.fillingTouches.set(secretId, ts);
    for (const e of batch) {
      const start = minuteStart(e.ts);
      const first = this.filling.get(e.keyId) ?? null;
      let r = first;
      while (r !== null && !(r.bucket_start === start && r.status === e.status && r.route === e.route)) r = r.next;
      if (r === null) {
        r = this.take(e, start, first);
        this.filling.set(e.keyId, r);
      }
      countEvent(r, e);
    }
  }

  /**
   * Once the last drain is written: the filling rollups start draining when they
   * have waited `holdMs` (or at once with `force`, or when there are too many).
   */
  rotate(now: number, force = false): void {
    if (this.drainPending) return;
    if (this.fillingCount === 0 && this.fillingTouches.size === 0) return;
    if (!force && now - this.fillingSince < this.holdMs && this.fillingCount + this.fillingTouches.size < this.maxFilling) return;
    const draining = this.draining;
    draining.length = 0;
    for (const first of this.filling.values()) {
      for (let r: HeldRollup | null = first; r !== null; r = r.next) draining.push(r);
    }
    draining.sort(byPrimaryKey);
    this.filling.clear();
    this.fillingCount = 0;
    this.cursor = 0;
    this.drainingTouches = [...this.fillingTouches].sort(([a], [b]) => (a < b ? -1 : 1));
    this.fillingTouches.clear();
    this.touchCursor = 0;
  }

  /** Whether rollups or last-used times are draining, not yet written. */
  get drainPending(): boolean {
    return this.cursor < this.draining.length || this.touchCursor < this.drainingTouches.length;
  }

  /** Up to `n` rollups to write next, in primary-key order. Call `written` once they commit. */
  next(n: number): readonly Rollup[] {
    return this.draining.slice(this.cursor, this.cursor + n);
  }

  /** Up to `n` last-used times to write next, in secret id order. */
  nextTouches(n: number): readonly (readonly [secretId: string, ts: number])[] {
    return this.drainingTouches.slice(this.touchCursor, this.touchCursor + n);
  }

  /** The first `n` rollups `next` gave, and `touches` of what `nextTouches` gave, were committed. */
  written(n: number, touches = 0): void {
    const end = Math.min(this.cursor + n, this.draining.length);
    for (let i = this.cursor; i < end; i++) this.pool.push(this.draining[i]!);
    this.cursor = end;
    if (this.cursor === this.draining.length) {
      this.draining.length = 0;
      this.cursor = 0;
    }
    this.touchCursor = Math.min(this.touchCursor + touches, this.drainingTouches.length);
    if (this.touchCursor === this.drainingTouches.length) {
      this.drainingTouches = [];
      this.touchCursor = 0;
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
