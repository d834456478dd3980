/**
 * Digest → key record, with no storage read for a key seen before.
 *
 * Positive and negative ("unknown digest") results are cached in bounded LRUs.
 * Revocation never fails open: a cached answer is trusted while the change feed
 * is healthy, or for at most `staleMs` after it was last confirmed from the
 * database; past that the record is read again, and when that read fails the
 * request gets 503 rather than an answer that might be stale.
 */
import type { KeyRecord } from '../core/access.js';
import type { Clock } from '../core/clock.js';
import { ApiError } from '../core/problems.js';

export interface FeedHealth {
  healthy(now: number): boolean;
}

interface Entry {
  record: KeyRecord | null;
  confirmedAt: number;
  /** The cache's insertion count when this entry last moved to the young end. */
  movedAt: number;
  /** The digest it answers for: the cache is keyed by a part of it (see Lru). */
  digest: string;
  /** The next entry whose digest has the same first characters, newest first. */
  collision: Entry | undefined;
}

export interface VerifierOptions {
  maxKnown?: number;
  maxUnknown?: number;
  /** How long a cached answer may be trusted without a healthy feed. */
  staleMs?: number;
  /** Safety net: even with a healthy feed, re-read a record this old. */
  maxAgeMs?: number;
}

export interface VerifierStats {
  hits: number;
  misses: number;
  lookups: number;
}

export class KeyVerifier {
  private readonly known: Lru;
  private readonly unknown: Lru;
  /** Key id → its cached digests: one string for the usual single secret, a Set during a rotation (memory per cached key matters at 100k+). */
  private readonly digestsByKey = new Map<string, string | Set<string>>();
  private readonly inFlight = new Map<string, Promise<KeyRecord | null>>();
  private readonly staleMs: number;
  private readonly maxAgeMs: number;
  /** Bumped by every invalidation, so a read that overlapped one does not cache what it saw. */
  private generation = 0;
  /**
   * Key id or digest → the generation of its last change, kept only while reads
   * are in flight: a read is refused its cache entry only when the change was to
   * what it read, so churn on other keys does not turn hits into reads.
   */
  private readonly changedDuringReads = new Map<string, number>();
  /** Generation of the last clear(): it touches every entry. */
  private clearedAt = 0;
  readonly stats: VerifierStats = { hits: 0, misses: 0, lookups: 0 };
  health: FeedHealth = { healthy: () => false };

  constructor(
    private readonly load: (digest: string) => Promise<KeyRecord | null>,
    private readonly clock: Clock,
    options: VerifierOptions = {},
  ) {
    this.known = new Lru(options.maxKnown ?? 200_000, (digest, evicted) => this.unlink(digest, evicted));
    this.unknown = new Lru(options.maxUnknown ?? 100_000);
    this.staleMs = options.staleMs ?? 1_000;
    // A safety net behind the feed: re-reading every active key each minute cost a database read for most requests at 100,000 keys.
    this.maxAgeMs = options.maxAgeMs ?? 300_000;
  }

  async lookup(digest: string): Promise<KeyRecord | null> {
    const hit = this.cached(digest);
    if (hit !== undefined) return hit;
    this.stats.misses++;
    return this.fetch(digest);
  }

  /**
   * The cached answer for a digest if it can be trusted now, else undefined (and
   * `lookup` must read). Synchronous, so a request for a cached key needs no promise.
   */
  cached(digest: string, now = this.clock.now()): KeyRecord | null | undefined {
    const slot = slotOf(digest);
    const known = this.known.get(digest, slot);
    const entry = known ?? this.unknown.get(digest, slot);
    if (entry === undefined) return undefined;
    const trust = this.trust(entry, now);
    if (trust === 'no') return undefined;
    this.stats.hits++;
    if (trust === 'refresh' && !this.inFlight.has(digest)) this.fetch(digest).catch(() => {});
    (known ? this.known : this.unknown).used(entry);
    return entry.record;
  }

  /** Drops every cached secret of a key (after any change to it). */
  invalidateKey(keyId: string): void {
    this.noteChange(keyId);
    const digests = this.digestsByKey.get(keyId);
    if (digests === undefined) return;
    for (const d of typeof digests === 'string' ? [digests] : digests) this.known.delete(d);
    this.digestsByKey.delete(keyId);
  }

  /** A new secret exists: it must no longer be answered from the negative cache. */
  forgetUnknown(digest: string): void {
    this.noteChange(DIGEST_PREFIX + digest);
    this.unknown.delete(digest);
  }

  clear(): void {
    this.clearedAt = ++this.generation;
    this.known.clear();
    this.unknown.clear();
    this.digestsByKey.clear();
  }

  get size(): { known: number; unknown: number } {
    return { known: this.known.size, unknown: this.unknown.size };
  }

  private noteChange(subject: string): void {
    this.generation++;
    if (this.inFlight.size > 0) this.changedDuringReads.set(subject, this.generation);
  }

  /** Whether a change to what a read returned was announced after the read began. */
  private changedSince(generation: number, digest: string, record: KeyRecord | null): boolean {
    if (this.clearedAt > generation) return true;
    const subject = record ? record.keyId : DIGEST_PREFIX + digest;
    return (this.changedDuringReads.get(subject) ?? 0) > generation;
  }

  /**
   * Whether a cached answer may be given now. Within `staleMs` of its last
   * confirmation always; after that only while the change feed is healthy. The
   * feed is what keeps it right; `maxAgeMs` is a safety net against a missed
   * change, so past it the answer is still given (the feed vouches for it) while
   * the record is read again beside the request ("refresh"); an answer that
   * could not be re-confirmed for twice that long is not given at all.
   */
  private trust(entry: Entry, now: number): 'yes' | 'refresh' | 'no' {
    const age = now - entry.confirmedAt;
    if (age <= this.staleMs) return 'yes';
    if (!this.health.healthy(now)) return 'no';
    if (age <= this.maxAgeMs) return 'yes';
    return age <= 2 * this.maxAgeMs ? 'refresh' : 'no';
  }

  /** Concurrent misses for one digest share one read: a flood of one bad key costs one query. */
  private fetch(digest: string): Promise<KeyRecord | null> {
    const pending = this.inFlight.get(digest);
    if (pending) return pending;
    const promise = this.read(digest).finally(() => {
      this.inFlight.delete(digest);
      if (this.inFlight.size === 0) this.changedDuringReads.clear();
    });
    this.inFlight.set(digest, promise);
    return promise;
  }

  private async read(digest: string): Promise<KeyRecord | null> {
    let record: KeyRecord | null;
    const generation = this.generation;
    // Confirmed as of when the read began, not when it returned.
    const readAt = this.clock.now();
    try {
      this.stats.lookups++;
      record = await this.load(digest);
    } catch {
      throw new ApiError('service_unavailable', 'the key store is unreachable; the key could not be verified');
    }
    // A change was announced while this read ran: what it saw may predate the change.
    // Answer this one request with it, but cache nothing; the next request reads again.
    if (generation !== this.generation && this.changedSince(generation, digest, record)) return record;
    const entry: Entry = { record, confirmedAt: readAt, movedAt: 0, digest, collision: undefined };
    if (record) {
      this.known.set(entry);
      const digests = this.digestsByKey.get(record.keyId);
      if (digests === undefined || digests === digest) this.digestsByKey.set(record.keyId, digest);
      else if (typeof digests === 'string') this.digestsByKey.set(record.keyId, new Set([digests, digest]));
      else digests.add(digest);
      this.unknown.delete(digest);
    } else {
      this.unknown.set(entry);
    }
    return record;
  }

  private unlink(digest: string, evicted: Entry): void {
    const keyId = evicted.record?.keyId;
    if (keyId === undefined) return;
    const digests = this.digestsByKey.get(keyId);
    if (digests === digest) this.digestsByKey.delete(keyId);
    else if (typeof digests === 'object' && digests.delete(digest) && digests.size === 0) this.digestsByKey.delete(keyId);
  }
}

const DIGEST_PREFIX = 'digest:';

/**
 * A bounded map that evicts the least recently used entry, approximately: Map
 * insertion order is the age order, and a hit moves an entry to the young end
 * only once it has drifted into the older half. A key used at least once per
 * max/2 insertions is never evicted, and most hits are one Map read (an exact
 * LRU moved every hit: 175 ns instead of about 30).
 *
 * Keyed by the digest's first 7 hex characters as a number (`slotOf`), not by
 * the digest: V8 keeps a small integer key in the map's own table, so a lookup
 * neither hashes a new 64-character string nor reads the strings it passes on
 * the way, each a cache miss once 100,000 keys are cached (bench keys-1M:
 * the map lookup was 4 % of the server's time). The entry found is then
 * checked against the whole digest; the rare digests that share a slot (about
 * one in 2,700 at 100,000 keys) are chained in it.
 */
class Lru {
  private readonly map = new Map<number, Entry>();
  private count = 0;
  private insertions = 0;

  constructor(
    private readonly max: number,
    private readonly onEvict?: (digest: string, entry: Entry) => void,
  ) {}

  get(digest: string, slot = slotOf(digest)): Entry | undefined {
    let entry = this.map.get(slot);
    while (entry !== undefined && entry.digest !== digest) entry = entry.collision;
    return entry;
  }

  used(entry: Entry): void {
    if (this.insertions - entry.movedAt < this.max / 2) return;
    // The slot moves, with every entry chained in it.
    const slot = slotOf(entry.digest);
    const head = this.map.get(slot)!;
    this.map.delete(slot);
    this.map.set(slot, head);
    entry.movedAt = ++this.insertions;
  }

  set(entry: Entry): void {
    this.delete(entry.digest);
    const slot = slotOf(entry.digest);
    entry.collision = this.map.get(slot);
    this.map.delete(slot);
    this.map.set(slot, entry);
    entry.movedAt = ++this.insertions;
    this.count++;
    while (this.count > this.max) {
      const [oldestSlot, head] = this.map.entries().next().value as [number, Entry];
      // A chain's last entry is its oldest: new ones go in front.
      let before: Entry | undefined;
      let oldest = head;
      while (oldest.collision !== undefined) [before, oldest] = [oldest, oldest.collision];
      if (before === undefined) this.map.delete(oldestSlot);
      else before.collision = undefined;
      this.count--;
      this.onEvict?.(oldest.digest, oldest);
    }
  }

  delete(digest: string): boolean {
    const slot = slotOf(digest);
    let before: Entry | undefined;
    let entry = this.map.get(slot);
    while (entry !== undefined && entry.digest !== digest) [before, entry] = [entry, entry.collision];
    if (entry === undefined) return false;
    if (before !== undefined) before.collision = entry.collision;
    else if (entry.collision !== undefined) this.map.set(slot, entry.collision);
    else this.map.delete(slot);
    entry.collision = undefined;
    this.count--;
    return true;
  }

  clear(): void {
    this.map.clear();
    this.count = 0;
  }

  get size(): number {
    return this.count;
  }
}

/** A digest's first 7 hex characters as a number below 2^28 (any string maps to some number; only hex is exact). */
export function slotOf(digest: string): number {
  let slot = 0;
  for (let i = 0; i < 7 && i < digest.length; i++) {
    const c = digest.charCodeAt(i);
    // '0'-'9' give 0-9 and 'a'-'f' give 10-15.
    slot = (slot << 4) | ((c & 15) + (c >> 6) * 9);
  }
  return slot & 0xfffffff;
}
