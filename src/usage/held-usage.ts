/**
 * Minute rollups and last-used times held across batches, then written in
 * key order, a slice with each batch. Why: with many keys, a batch's first use
 * of each key in a new minute inserts a row at a random place of the rollups'
 * index, one page per insert, and SQLite writes every page a transaction
 * dirtied to its log at commit. A bench keys-1M batch of 250 such events wrote
 * 500-590 pages (2 MB) where a batch of rows that exist wrote 26. Held for a
 * second and sorted, the same inserts fall many to a page. Last-used times
 * (a row per secret) are held and sorted the same way.
 *
 * Everything held for one secret hangs off one entry: its rollups, its held
 * last-used time, and the minute of the last one handed out (a time is written
 * at most once per clock minute, so it always names the minute of the latest
 * use). Separate maps for the three were five lookups per event into maps of
 * 100,000 entries, a quarter of what holding cost (bench keys-1M). The entry is
 * found through the event's key record when it carries one (the request
 * thread's events), else with one map lookup.
 *
 * The request log is never held (each batch is one block appended at the end
 * of its table); only rollups and last-used times wait, so usage reads lag by
 * up to about twice the hold, within the SPEC's 5 s. A crash loses what is
 * held, as it loses the recorder's buffer.
 *
 * Held rollups come from a pool and go back to it once written: objects that
 * live for seconds are promoted, and promoted garbage grew the heap by 100 MB
 * or more when rollups were last held as fresh objects (BENCHMARKS.md).
 */
import { LATENCY_BUCKETS } from '../core/latency.js';
import { LAST_USED_RESOLUTION_MS, type Rollup, type UsageEvent, compareStrings, countEvent, minuteOf, minuteStart } from './writer.js';

/** A rollup with the SQLite rowid of its row, once this writer has written it (0: not known). */
export type RollupWithRow = Rollup & { rowid: number };

/** A held rollup, linked to the next one of the same secret. */
type HeldRollup = RollupWithRow & { next: HeldRollup | null; use: SecretUse | null };

/**
 * A rollup row this writer wrote for a secret, by the rowid SQLite gave it: the
 * secret's next rollup for the same minute, route and status adds to the row
 * found by rowid, skipping a search of the primary key's index (sqlite-batch.ts).
 */
interface KnownRow {
  /** The row's minute as a count of minutes (a small integer, kept in the object; a time would be a boxed number). */
  minute: number;
  route: string;
  status: number;
  rowid: number;
  next: KnownRow | null;
}

/** What is held for one secret (or, for an event without one, one key). */
interface SecretUse {
  readonly owner: HeldUsage;
  readonly keyId: string;
  readonly secretId: string | null;
  /** The fill its rollups and touch belong to: older ones were handed to a drain. */
  fill: number;
  rollups: HeldRollup | null;
  /**
   * The minute of the last last-used time handed out for writing (held counts:
   * it will be written), and that time's milliseconds into it while it is held
   * in this fill, else -1. Small integers, not times: V8 keeps them in the
   * object, where a time would be a separate 16-byte number per field.
   */
  touchedMinute: number;
  touchMs: number;
  /** Rows written lately, about one per route and status: a row of a later minute takes the place of an earlier one's. */
  rows: KnownRow | null;
}

export class HeldUsage {
  /** Every secret seen lately whose events carry no key record, for the throttle; bounded by `maxRemembered`. */
  private uses = new Map<string, SecretUse>();
  // The arrays below are kept across fills and only grow, each with a count of
  // what it holds now: emptied by `length = 0`, V8 drops an array's storage and
  // regrows it by copies, garbage that was promoted by the megabyte a second.
  /** The entries with something in the current fill, which started at `fillingSince`. */
  private readonly filling: SecretUse[] = [];
  private fillingCount = 0;
  private fill = 1;
  private fillingRollups = 0;
  private fillingTouches = 0;
  private fillingSince = 0;
  /** Being written, in key order, from `cursor` to `drainingCount`. */
  private readonly draining: HeldRollup[] = [];
  private drainingCount = 0;
  private cursor = 0;
  private readonly touchIds: string[] = [];
  private readonly touchTimes: number[] = [];
  private touchCount = 0;
  private touchCursor = 0;
  /** Written rollups for reuse, linked through `next`: never more than were once held at a time (at most twice `maxFilling`). */
  private pool: HeldRollup | null = null;
  private readonly scratch = { numbers: new Float64Array(0) };

  constructor(
    private readonly holdMs: number,
    /** Filling starts draining early at this many rollups and times, which bounds memory. */
    private readonly maxFilling = 50_000,
    /** Secrets remembered for the throttle; forgetting one costs only an early write of its time. */
    private readonly maxRemembered = 200_000,
  ) {}

  /** Rollups and last-used times held, filling or not yet written. */
  get size(): number {
    return this.fillingRollups + this.fillingTouches + this.drainingCount - this.cursor + this.touchCount - this.touchCursor;
  }

  /** Adds committed events: their rollups, and each secret's last-used time at most once per clock minute. */
  add(batch: readonly UsageEvent[], now: number): void {
    if (this.fillingCount === 0) this.fillingSince = now;
    for (const e of batch) {
      const use = this.useOf(e);
      if (use.fill !== this.fill) {
        use.fill = this.fill;
        use.rollups = null;
        use.touchMs = -1;
        this.filling[this.fillingCount++] = use;
      }
      const minute = minuteOf(e.ts);
      if (use.secretId !== null && minute > use.touchedMinute) {
        if (use.touchMs < 0) this.fillingTouches++;
        use.touchedMinute = minute;
        use.touchMs = e.ts - minute * LAST_USED_RESOLUTION_MS;
      }
      const start = minuteStart(e.ts);
      let r = use.rollups;
      while (r !== null && !(r.bucket_start === start && r.status === e.status && r.route === e.route)) r = r.next;
      if (r === null) r = use.rollups = this.take(e, start, minute, use);
      countEvent(r, e);
    }
  }

  /**
   * Once the last drain is written: the filling rollups start draining when they
   * have waited `holdMs` (or at once with `force`, or when there are too many).
   */
  rotate(now: number, force = false): void {
    if (this.drainPending || this.fillingCount === 0) return;
    if (!force && now - this.fillingSince < this.holdMs && this.fillingRollups + this.fillingTouches < this.maxFilling) return;
    const { filling, fillingCount, draining, touchIds, touchTimes } = this;
    let drainingCount = 0;
    sortById(filling, fillingCount, keyIdOf, this.scratch);
    for (let i = 0; i < fillingCount; i++) for (let r = filling[i]!.rollups; r !== null; r = r.next) draining[drainingCount++] = r;
    // Only the entries with a time to write are sorted for it, moved to the front of `filling` (done with
    // now): a time is written once a minute per secret, so with many keys a few in ten of them.
    let touchCount = 0;
    for (let i = 0; i < fillingCount; i++) if (filling[i]!.touchMs >= 0) filling[touchCount++] = filling[i]!;
    sortById(filling, touchCount, secretIdOf, this.scratch);
    for (let i = 0; i < touchCount; i++) {
      const use = filling[i]!;
      touchIds[i] = use.secretId!;
      touchTimes[i] = use.touchedMinute * LAST_USED_RESOLUTION_MS + use.touchMs;
    }
    this.drainingCount = drainingCount;
    this.touchCount = touchCount;
    this.cursor = 0;
    this.touchCursor = 0;
    this.fillingCount = 0;
    this.fill++;
    this.fillingRollups = 0;
    this.fillingTouches = 0;
  }

  /** Whether rollups or last-used times are draining, not yet written. */
  get drainPending(): boolean {
    return this.cursor < this.drainingCount || this.touchCursor < this.touchCount;
  }

  /** Up to `n` rollups to write next, in key order. Call `written` once they commit. */
  next(n: number): readonly RollupWithRow[] {
    return this.draining.slice(this.cursor, Math.min(this.cursor + n, this.drainingCount));
  }

  /** Up to `n` last-used times to write next, in secret order. */
  nextTouches(n: number): readonly (readonly [secretId: string, ts: number])[] {
    // Made per slice, so they die young: held for the whole drain, pairs were old garbage by the thousand a second.
    const end = Math.min(this.touchCursor + n, this.touchCount);
    const touches: [string, number][] = [];
    for (let i = this.touchCursor; i < end; i++) touches.push([this.touchIds[i]!, this.touchTimes[i]!]);
    return touches;
  }

  /** The first `n` rollups `next` gave, and `touches` of what `nextTouches` gave, were committed. */
  written(n: number, touches = 0): void {
    const end = Math.min(this.cursor + n, this.drainingCount);
    for (let i = this.cursor; i < end; i++) {
      const r = this.draining[i]!;
      if (r.rowid > 0 && r.use !== null) rememberRow(r.use, r);
      r.use = null;
      r.next = this.pool;
      this.pool = r;
    }
    this.cursor = end;
    if (this.cursor === this.drainingCount) this.cursor = this.drainingCount = 0;
    this.touchCursor = Math.min(this.touchCursor + touches, this.touchCount);
    if (this.touchCursor === this.touchCount) this.touchCursor = this.touchCount = 0;
  }

  private useOf(e: UsageEvent): SecretUse {
    const holder = e.holder;
    if (holder !== undefined) {
      const held = holder.heldUse as SecretUse | undefined;
      if (held !== undefined && held.owner === this && held.keyId === e.keyId && held.secretId === e.secretId) return held;
      // Kept on the record alone: a map of 100,000 secrets beside it was about 4 MB of live heap (bench keys-1M).
      // A record read again starts a new entry, which costs at most an early last-used write.
      return (holder.heldUse = this.newUse(e));
    }
    const id = e.secretId ?? e.keyId;
    const known = this.uses.get(id);
    if (known !== undefined && known.keyId === e.keyId) return known;
    // Past the bound, start over: entries in the current fill stay in `filling` until drained.
    if (this.uses.size >= this.maxRemembered) this.uses = new Map();
    const use = this.newUse(e);
    this.uses.set(id, use);
    return use;
  }

  private newUse(e: UsageEvent): SecretUse {
    return {
      owner: this,
      keyId: e.keyId,
      secretId: e.secretId,
      fill: 0,
      rollups: null,
      touchedMinute: -1,
      touchMs: -1,
      rows: null,
    };
  }

  private take(e: UsageEvent, start: number, minute: number, use: SecretUse): HeldRollup {
    this.fillingRollups++;
    const next = use.rollups;
    const rowid = knownRowid(use, minute, e.route, e.status);
    const r = this.pool;
    if (r === null) {
      return { key_id: e.keyId, period: 'minute', bucket_start: start, route: e.route, status: e.status, required_scopes: e.requiredScopes, count: 0, latency_ms_sum: 0, histogram: new Array<number>(LATENCY_BUCKETS).fill(0), rowid, next, use };
    }
    this.pool = r.next;
    r.key_id = e.keyId;
    r.bucket_start = start;
    r.route = e.route;
    r.status = e.status;
    r.required_scopes = e.requiredScopes;
    r.count = 0;
    r.latency_ms_sum = 0;
    r.histogram.fill(0);
    r.rowid = rowid;
    r.next = next;
    r.use = use;
    return r;
  }
}

function knownRowid(use: SecretUse, minute: number, route: string, status: number): number {
  for (let k = use.rows; k !== null; k = k.next) if (k.minute === minute && k.status === status && k.route === route) return k.rowid;
  return 0;
}

/**
 * Remembers a written rollup's row, in the place of a row of an earlier minute
 * when there is one: about one row per route and status is kept, 32 bytes each
 * (two per key, the minute and the one before, were 10 MB more of live heap in
 * bench keys-1M, and its peak RSS grew by twice that).
 */
function rememberRow(use: SecretUse, r: RollupWithRow): void {
  const minute = minuteOf(r.bucket_start);
  let earlier: KnownRow | null = null;
  for (let k = use.rows; k !== null; k = k.next) {
    if (k.minute === minute && k.status === r.status && k.route === r.route) {
      k.rowid = r.rowid;
      return;
    }
    if (k.minute < minute) earlier = k;
  }
  if (earlier === null) {
    use.rows = { minute, route: r.route, status: r.status, rowid: r.rowid, next: use.rows };
    return;
  }
  earlier.minute = minute;
  earlier.route = r.route;
  earlier.status = r.status;
  earlier.rowid = r.rowid;
}

const keyIdOf = (use: SecretUse) => use.keyId;
const secretIdOf = (use: SecretUse) => use.secretId ?? '';

// Bits of an item's index in its sort number, and characters of its id (7 bits each) above them: 52 bits, exact in a double.
const INDEX_BITS = 17;
const WINDOW_CHARS = 5;
const MAX_SORTED = 2 ** INDEX_BITS;

/**
 * Sorts the first `n` items by an id with the typed-array sort, which compares doubles
 * natively: each item's number is the 5 characters of its id after the prefix
 * all ids share, then its index. Items whose 5 characters are equal are then
 * put in order by comparing their whole ids. With a comparator function,
 * sorting tens of thousands of entries a second, each comparison scanning the
 * ids' shared prefix (`key_` and the time part), was 1 % of the server's time
 * (bench keys-1M), and a typed-array sort through a comparator was slower still.
 */
export function sortById<T>(items: T[], n: number, idOf: (item: T) => string, scratch: { numbers: Float64Array }): void {
  if (n < 2) return;
  if (n > MAX_SORTED) {
    const sorted = items.slice(0, n).sort((a, b) => compareStrings(idOf(a), idOf(b)));
    for (let i = 0; i < n; i++) items[i] = sorted[i]!;
    return;
  }
  if (scratch.numbers.length < n) scratch.numbers = new Float64Array(Math.max(n, 2 * scratch.numbers.length));
  const ids: string[] = new Array<string>(n);
  const first = (ids[0] = idOf(items[0]!));
  let shared = first.length;
  for (let i = 1; i < n; i++) {
    const id = (ids[i] = idOf(items[i]!));
    let k = 0;
    while (k < shared && k < id.length && id.charCodeAt(k) === first.charCodeAt(k)) k++;
    shared = k;
  }
  const numbers = scratch.numbers.subarray(0, n);
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    // One more than each code, so an id that ends within the window sorts before any that goes on. Codes
    // from 126 up share the top value, and what follows one of them is left out: the whole ids settle those ties.
    let window = 0;
    let clamped = false;
    for (let k = shared; k < shared + WINDOW_CHARS; k++) {
      const code: number = k < id.length && !clamped ? Math.min(id.charCodeAt(k), 126) + 1 : 0;
      clamped ||= code === 127;
      window = window * 128 + code;
    }
    numbers[i] = window * MAX_SORTED + i;
  }
  numbers.sort();
  const before = items.slice(0, n);
  let runStart = 0;
  for (let i = 0; i <= n; i++) {
    // A run of equal windows is ordered by whole ids (clamped non-ASCII codes can tie there too).
    if (i < n && Math.floor(numbers[i]! / MAX_SORTED) === Math.floor(numbers[runStart]! / MAX_SORTED)) continue;
    if (i - runStart > 1) {
      const run = Array.from(numbers.subarray(runStart, i), (x) => x % MAX_SORTED).sort((a, b) => compareStrings(ids[a]!, ids[b]!));
      for (let j = 0; j < run.length; j++) items[runStart + j] = before[run[j]!]!;
    } else if (i - runStart === 1) {
      items[runStart] = before[numbers[runStart]! % MAX_SORTED]!;
    }
    runStart = i;
  }
}
