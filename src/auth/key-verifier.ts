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
  private readonly known = new Map<string, Entry>();
  private readonly unknown = new Map<string, Entry>();
  /** Key id → its cached digests: one string for the usual single secret, a Set during a rotation (memory per cached key matters at 100k+). */
  private readonly digestsByKey = new Map<string, string | Set<string>>();
  private readonly inFlight = new Map<string, Promise<KeyRecord | null>>();
  private readonly maxKnown: number;
  private readonly maxUnknown: number;
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
    this.maxKnown = options.maxKnown ?? 200_000;
    this.maxUnknown = options.maxUnknown ?? 100_000;
    this.staleMs = options.staleMs ?? 1_000;
    this.maxAgeMs = options.maxAgeMs ?? 60_000;
  }

  async lookup(digest: string): Promise<KeyRecord | null> {
    const now = this.clock.now();
    const known = this.known.get(digest);
    const entry = known ?? this.unknown.get(digest);
    if (entry && this.trusted(entry, now)) {
      this.stats.hits++;
      // Least recently *used* goes first: a hit moves the entry to the young end.
      remember(known ? this.known : this.unknown, digest, entry, Number.POSITIVE_INFINITY);
      return entry.record;
    }
    this.stats.misses++;
    return this.fetch(digest);
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

  private trusted(entry: Entry, now: number): boolean {
    const age = now - entry.confirmedAt;
    if (age <= this.staleMs) return true;
    return age <= this.maxAgeMs && this.health.healthy(now);
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
    const entry: Entry = { record, confirmedAt: readAt };
    if (record) {
      remember(this.known, digest, entry, this.maxKnown, (evicted, old) => this.unlink(evicted, old));
      const digests = this.digestsByKey.get(record.keyId);
      if (digests === undefined || digests === digest) this.digestsByKey.set(record.keyId, digest);
      else if (typeof digests === 'string') this.digestsByKey.set(record.keyId, new Set([digests, digest]));
      else digests.add(digest);
      this.unknown.delete(digest);
    } else {
      remember(this.unknown, digest, entry, this.maxUnknown);
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

/** Map insertion order as LRU order: re-inserting moves an entry to the young end. */
function remember(map: Map<string, Entry>, digest: string, entry: Entry, max: number, onEvict?: (digest: string, entry: Entry) => void): void {
  map.delete(digest);
  map.set(digest, entry);
  if (map.size > max) {
    const [oldest, old] = map.entries().next().value as [string, Entry];
    map.delete(oldest);
    onEvict?.(oldest, old);
  }
}
