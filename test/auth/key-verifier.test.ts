import { describe, expect, it } from 'vitest';
import { KeyVerifier } from '../../src/auth/key-verifier.js';
import type { KeyRecord } from '../../src/core/access.js';
import { ManualClock } from '../../src/core/clock.js';
import { resolveLimits } from '../../src/core/limits.js';
import { ApiError } from '../../src/core/problems.js';

function record(keyId: string, active = true): KeyRecord {
  return {
    keyId,
    orgId: 'org_x',
    tenantId: 'ten_x',
    environment: 'sandbox',
    name: keyId,
    scopes: new Set(),
    tier: 'standard',
    limits: resolveLimits('standard'),
    active,
    expiresAt: null,
    revokedAt: null,
    allowedIps: [],
    secretId: `sec_${keyId}`,
    secretRetiresAt: null,
    limiterState: undefined,
    heldUse: undefined,
  };
}

/** A fake key store: digest → record, counting reads, with a switch to make it fail. */
class FakeStore {
  rows = new Map<string, KeyRecord>();
  reads = 0;
  down = false;
  gate: Promise<void> | null = null;
  load = async (digest: string): Promise<KeyRecord | null> => {
    this.reads++;
    // The row as of when the read began (a snapshot), returned whenever the gate opens.
    const row = this.rows.get(digest);
    if (this.gate) await this.gate;
    if (this.down) throw new Error('connection refused');
    return row ? { ...row } : null;
  };
}

function setup(options: ConstructorParameters<typeof KeyVerifier>[2] = {}) {
  const clock = new ManualClock();
  const store = new FakeStore();
  const verifier = new KeyVerifier(store.load, clock, options);
  let feedHealthy = true;
  verifier.health = { healthy: () => feedHealthy };
  return { clock, store, verifier, setFeed: (healthy: boolean) => (feedHealthy = healthy) };
}

describe('KeyVerifier cache', () => {
  it('reads a known key once, then answers from memory', async () => {
    const { store, verifier } = setup();
    store.rows.set('d1', record('key_a'));
    for (let i = 0; i < 5; i++) expect((await verifier.lookup('d1'))?.keyId).toBe('key_a');
    expect(store.reads).toBe(1);
    expect(verifier.stats).toMatchObject({ hits: 4, misses: 1, lookups: 1 });
  });

  it('caches unknown digests too: a flood of one bad key costs one read', async () => {
    const { store, verifier } = setup();
    for (let i = 0; i < 5; i++) expect(await verifier.lookup('nope')).toBeNull();
    expect(store.reads).toBe(1);
    expect(verifier.size.unknown).toBe(1);
  });

  it('coalesces concurrent misses for one digest into one read', async () => {
    const { store, verifier } = setup();
    store.rows.set('d1', record('key_a'));
    let open!: () => void;
    store.gate = new Promise((r) => (open = r));
    const lookups = Array.from({ length: 50 }, () => verifier.lookup('d1'));
    const unknowns = Array.from({ length: 50 }, () => verifier.lookup('other'));
    open();
    expect((await Promise.all(lookups)).every((r) => r?.keyId === 'key_a')).toBe(true);
    expect((await Promise.all(unknowns)).every((r) => r === null)).toBe(true);
    expect(store.reads).toBe(2);
  });

  it('forgets an unknown digest when a key with it is created', async () => {
    const { store, verifier } = setup();
    expect(await verifier.lookup('d1')).toBeNull();
    store.rows.set('d1', record('key_a'));
    expect(await verifier.lookup('d1')).toBeNull(); // still the cached "unknown"
    verifier.forgetUnknown('d1');
    expect((await verifier.lookup('d1'))?.keyId).toBe('key_a');
  });

  it('invalidating a key drops every cached secret of it', async () => {
    const { store, verifier } = setup();
    store.rows.set('old', record('key_a'));
    store.rows.set('new', record('key_a'));
    await verifier.lookup('old');
    await verifier.lookup('new');
    store.rows.set('old', record('key_a', false));
    store.rows.set('new', record('key_a', false));
    verifier.invalidateKey('key_a');
    expect((await verifier.lookup('old'))?.active).toBe(false);
    expect((await verifier.lookup('new'))?.active).toBe(false);
    expect(store.reads).toBe(4);
  });

  it('a read that overlapped an invalidation is not cached (no stale record outlives the change)', async () => {
    const { store, verifier } = setup();
    store.rows.set('d1', record('key_a'));
    let open!: () => void;
    store.gate = new Promise((r) => (open = r));
    const inFlight = verifier.lookup('d1');
    // The key is disabled and the change announced while the read is still running.
    store.rows.set('d1', record('key_a', false));
    verifier.invalidateKey('key_a');
    open();
    store.gate = null;
    expect((await inFlight)?.active).toBe(true); // that read saw the old row
    expect((await verifier.lookup('d1'))?.active).toBe(false); // but did not cache it
  });

  it('a read that overlapped a change to another key is still cached (churn elsewhere costs no reads)', async () => {
    const { store, verifier } = setup();
    store.rows.set('d1', record('key_a'));
    let open!: () => void;
    store.gate = new Promise((r) => (open = r));
    const inFlight = verifier.lookup('d1');
    verifier.invalidateKey('key_b');
    verifier.forgetUnknown('d2');
    open();
    store.gate = null;
    await inFlight;
    const reads = store.reads;
    expect((await verifier.lookup('d1'))?.active).toBe(true);
    expect(store.reads).toBe(reads);
  });

  it('an unknown-digest read that overlapped the creation of that secret is not cached', async () => {
    const { store, verifier } = setup();
    let open!: () => void;
    store.gate = new Promise((r) => (open = r));
    const inFlight = verifier.lookup('d1');
    store.rows.set('d1', record('key_new'));
    verifier.forgetUnknown('d1');
    open();
    store.gate = null;
    expect(await inFlight).toBeNull(); // that read predates the new secret
    expect((await verifier.lookup('d1'))?.keyId).toBe('key_new');
  });

  it('evicts the least recently used entry when full (bounded)', async () => {
    const { store, verifier } = setup({ maxKnown: 2, maxUnknown: 2 });
    for (const d of ['a', 'b', 'c']) store.rows.set(d, record(`key_${d}`));
    await verifier.lookup('a');
    await verifier.lookup('b');
    await verifier.lookup('a'); // a is now more recent than b
    await verifier.lookup('c'); // evicts b
    expect(verifier.size.known).toBe(2);
    const reads = store.reads;
    await verifier.lookup('a');
    await verifier.lookup('c');
    expect(store.reads).toBe(reads);
    await verifier.lookup('b');
    expect(store.reads).toBe(reads + 1);

    for (const d of ['x', 'y', 'z']) await verifier.lookup(d);
    expect(verifier.size.unknown).toBe(2);
  });
});

describe('KeyVerifier cache keyed by the digest\'s first characters', () => {
  // Digests alike in their first 7 hex characters share a slot of the cache: each must still answer for itself alone.
  const alike = (tail: string) => `0123abc${tail}`;

  it('answers each of several digests that share a slot with its own record, and never one for a digest it has not seen', async () => {
    const { store, verifier } = setup();
    for (const t of ['1', '2', '3']) store.rows.set(alike(t), record(`key_${t}`));
    for (const t of ['1', '2', '3', '4']) await verifier.lookup(alike(t));
    const reads = store.reads;
    expect(['1', '2', '3', '4'].map((t) => verifier.cached(alike(t))?.keyId ?? null)).toEqual(['key_1', 'key_2', 'key_3', null]);
    expect(verifier.cached(alike('5'))).toBeUndefined(); // same slot, never looked up: not answered from the cache
    expect(store.reads).toBe(reads);
    expect(verifier.size).toEqual({ known: 3, unknown: 1 });
  });

  it('invalidating one key of a shared slot drops that key alone', async () => {
    const { store, verifier } = setup();
    for (const t of ['1', '2', '3']) store.rows.set(alike(t), record(`key_${t}`));
    for (const t of ['1', '2', '3']) await verifier.lookup(alike(t));
    verifier.invalidateKey('key_2');
    expect(['1', '2', '3'].map((t) => verifier.cached(alike(t))?.keyId)).toEqual(['key_1', undefined, 'key_3']);
    expect(verifier.size.known).toBe(2);
  });

  it('full with digests of one slot, evicts the oldest of them and keeps the newest', async () => {
    const { store, verifier } = setup({ maxKnown: 2 });
    for (const t of ['1', '2', '3']) store.rows.set(alike(t), record(`key_${t}`));
    for (const t of ['1', '2', '3']) await verifier.lookup(alike(t));
    expect(verifier.size.known).toBe(2);
    expect(['1', '2', '3'].map((t) => verifier.cached(alike(t))?.keyId)).toEqual([undefined, 'key_2', 'key_3']);
  });
});

describe('KeyVerifier trust rules: revocation never fails open (SPEC section 4)', () => {
  it('trusts a cached record while the change feed is healthy', async () => {
    const { clock, store, verifier } = setup();
    store.rows.set('d1', record('key_a'));
    await verifier.lookup('d1');
    clock.advance(30_000);
    await verifier.lookup('d1');
    expect(store.reads).toBe(1);
  });

  it('without a healthy feed: trusted for at most 1 s after the last confirmation, then read again', async () => {
    const { clock, store, verifier, setFeed } = setup();
    store.rows.set('d1', record('key_a'));
    await verifier.lookup('d1');
    setFeed(false);
    clock.advance(1_000);
    await verifier.lookup('d1');
    expect(store.reads).toBe(1);
    clock.advance(1);
    store.rows.set('d1', record('key_a', false));
    expect((await verifier.lookup('d1'))?.active).toBe(false);
    expect(store.reads).toBe(2);
    // That read is the new confirmation: trusted again for 1 s.
    clock.advance(500);
    await verifier.lookup('d1');
    expect(store.reads).toBe(2);
  });

  it('when neither the feed nor the store can confirm: 503 service_unavailable, not the cached answer', async () => {
    const { clock, store, verifier, setFeed } = setup();
    store.rows.set('d1', record('key_a'));
    await verifier.lookup('d1');
    await verifier.lookup('unknown');
    setFeed(false);
    store.down = true;
    clock.advance(1_001);
    for (const digest of ['d1', 'unknown', 'never-seen']) {
      const error = await verifier.lookup(digest).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).code).toBe('service_unavailable');
      expect((error as ApiError).status).toBe(503);
    }
    // Back up: answers resume.
    store.down = false;
    expect((await verifier.lookup('d1'))?.keyId).toBe('key_a');
  });

  it('a confirmation dates from when its read began: a slow read is trusted for less', async () => {
    const { clock, store, verifier, setFeed } = setup();
    setFeed(false);
    store.rows.set('d1', record('key_a'));
    let open!: () => void;
    store.gate = new Promise((r) => (open = r));
    const slow = verifier.lookup('d1');
    clock.advance(900);
    open();
    store.gate = null;
    await slow;
    clock.advance(200); // 1.1 s after the read began
    await verifier.lookup('d1');
    expect(store.reads).toBe(2);
  });

  it('even with a healthy feed, a record older than maxAgeMs is read again, beside the request that found it old', async () => {
    const { clock, store, verifier } = setup({ maxAgeMs: 60_000 });
    store.rows.set('d1', record('key_a'));
    await verifier.lookup('d1');
    store.rows.set('d1', record('key_a', false)); // a change the feed missed
    clock.advance(60_001);
    expect((await verifier.lookup('d1'))?.active).toBe(true); // answered from the cache (the feed vouches for it)...
    expect(store.reads).toBe(2); // ...while it is read again
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect((await verifier.lookup('d1'))?.active).toBe(false); // the next request sees what the database says
    expect(store.reads).toBe(2);
    expect(verifier.stats.lookups).toBe(2);
  });

  it('an answer that could not be re-confirmed for twice maxAgeMs is not given from the cache', async () => {
    const { clock, store, verifier } = setup({ maxAgeMs: 60_000 });
    store.rows.set('d1', record('key_a'));
    await verifier.lookup('d1');
    store.down = true;
    clock.advance(60_001);
    expect((await verifier.lookup('d1'))?.active).toBe(true); // the background read fails...
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(60_000); // ...and 120 s after the last confirmation
    await expect(verifier.lookup('d1')).rejects.toMatchObject({ code: 'service_unavailable' });
  });
});

describe('KeyVerifier bookkeeping of a key’s digests', () => {
  it('still drops a key’s remaining secret after its other secret was evicted', async () => {
    const { store, verifier } = setup({ maxKnown: 2 });
    store.rows.set('d1', record('key_a'));
    store.rows.set('d2', record('key_a'));
    store.rows.set('d3', record('key_c'));
    for (const d of ['d1', 'd2', 'd3']) await verifier.lookup(d); // d1 is evicted
    expect(verifier.size.known).toBe(2);
    verifier.invalidateKey('key_a');
    const reads = store.reads;
    await verifier.lookup('d2'); // dropped with its key: read again
    await verifier.lookup('d3'); // another key: still cached
    expect(store.reads).toBe(reads + 1);
  });
});
