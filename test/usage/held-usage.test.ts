/** Rollups and last-used times held across batches and written in key order (the single-core writer's, usage/held-usage.ts). */
import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS } from '../../src/core/latency.js';
import { HeldUsage, sortById } from '../../src/usage/held-usage.js';
import { LAST_USED_RESOLUTION_MS, type Rollup, type UsageEvent, byPrimaryKey, rollUp } from '../../src/usage/writer.js';

const T = Date.UTC(2026, 6, 1, 12);
const use = (keyId: string, ts: number, status = 200, latencyMs = 3, secretId: string | null = null): UsageEvent => ({ keyId, secretId, ts, method: 'GET', route: 'GET /v1/me', requiredScopes: 'me', status, latencyMs, ip: null });
const plain = (rs: readonly Rollup[]) => rs.map((r) => ({ key_id: r.key_id, period: r.period, bucket_start: r.bucket_start, route: r.route, status: r.status, required_scopes: r.required_scopes, count: r.count, latency_ms_sum: r.latency_ms_sum, histogram: [...r.histogram] }));

/** Everything the held rollups give out once rotated, slice by slice, each marked written. */
function drainAll(held: HeldUsage, now: number, slice = 3): Rollup[] {
  const out: Rollup[] = [];
  for (;;) {
    held.rotate(now, true);
    const next = held.next(slice);
    if (next.length === 0) return out;
    out.push(...plain(next));
    held.written(next.length);
  }
}

describe('HeldUsage', () => {
  it('merges batches into one rollup per key, minute, route and status, given out in key order', () => {
    const held = new HeldUsage(1_000);
    const first = [use('key_b', T), use('key_a', T + 1), use('key_b', T + 2, 429)];
    const second = [use('key_b', T + 3, 200, 900), use('key_c', T + 60_000), use('key_a', T + 4)];
    held.add(first, T);
    held.add(second, T + 10);
    expect(held.size).toBe(4); // key_a, key_b 200 (twice), key_b 429, key_c
    // The same rollups the per-batch writer would have written for both batches at once; keys in order.
    const drained = drainAll(held, T + 20);
    expect(drained.map((r) => r.key_id)).toEqual(['key_a', 'key_b', 'key_b', 'key_c']);
    expect(drained.sort(byPrimaryKey)).toEqual(plain(rollUp([...first, ...second])));
    expect(held.size).toBe(0);
  });

  it('starts draining only when the hold is over, the last drain is written, or on demand', () => {
    const held = new HeldUsage(1_000);
    held.add([use('key_a', T)], T);
    held.rotate(T + 999);
    expect(held.next(10)).toEqual([]);
    held.rotate(T + 1_000);
    expect(held.next(10).map((r) => r.key_id)).toEqual(['key_a']);
    // While that drain is not written, what arrives fills for the next one, even when forced.
    held.add([use('key_b', T + 1_001)], T + 1_001);
    held.rotate(T + 5_000, true);
    expect(held.next(10).map((r) => r.key_id)).toEqual(['key_a']);
    expect(held.size).toBe(2);
    held.written(1);
    held.rotate(T + 1_500, true);
    expect(held.next(10).map((r) => r.key_id)).toEqual(['key_b']);
  });

  it('a slice not marked written (its transaction failed) is given again; nothing is counted twice', () => {
    const held = new HeldUsage(0);
    held.add([use('key_a', T), use('key_b', T), use('key_c', T)], T);
    held.rotate(T);
    const tried = plain(held.next(2));
    expect(plain(held.next(2))).toEqual(tried); // the retry
    held.written(2);
    expect(held.next(2).map((r) => r.key_id)).toEqual(['key_c']);
    held.written(1);
    expect(held.size).toBe(0);
  });

  it('drains early past its bound on rollups filling, so memory stays bounded under many keys', () => {
    const held = new HeldUsage(60_000, 100);
    held.add(Array.from({ length: 99 }, (_, i) => use(`key_${i}`, T)), T);
    held.rotate(T + 1);
    expect(held.next(1)).toEqual([]);
    held.add([use('key_last', T)], T + 1);
    held.rotate(T + 2);
    expect(held.next(1000)).toHaveLength(100);
  });

  it('holds last-used times with them: the latest per secret, at most one a minute, given out in secret id order, again until written', () => {
    const held = new HeldUsage(1_000);
    const minute = LAST_USED_RESOLUTION_MS;
    held.add([use('key_b', T + 5, 200, 3, 'sec_b'), use('key_a', T + 9, 200, 3, 'sec_a'), use('key_a', T + 20, 200, 3, 'sec_a')], T);
    held.add([use('key_c', T + 1, 200, 3, 'sec_c'), use('key_b', T + minute + 5, 200, 3, 'sec_b')], T + 10);
    held.rotate(T + 500);
    expect(held.nextTouches(10)).toEqual([]);
    held.rotate(T + 1_000);
    // sec_a's second use was within the minute of its first; sec_b's came a minute later.
    expect(held.nextTouches(2)).toEqual([['sec_a', T + 9], ['sec_b', T + minute + 5]]);
    expect(held.nextTouches(2)).toEqual([['sec_a', T + 9], ['sec_b', T + minute + 5]]); // not written yet
    held.written(0, 2);
    expect(held.nextTouches(5)).toEqual([['sec_c', T + 1]]);
    held.written(held.next(10).length, 1);
    expect(held.size).toBe(0);
    // Once handed out, a secret's time waits for the next minute, across drains.
    held.add([use('key_a', T + 30, 200, 3, 'sec_a'), use('key_c', T + minute + 1, 200, 3, 'sec_c')], T + 1_100);
    held.rotate(T + 1_100, true);
    expect(held.nextTouches(5)).toEqual([['sec_c', T + minute + 1]]);
  });

  it('two secrets of one key (a rotation) each keep their time, and their rollups add up to the key\'s', () => {
    const held = new HeldUsage(0);
    const events = [use('key_a', T, 200, 3, 'sec_old'), use('key_a', T + 1, 200, 3, 'sec_new'), use('key_a', T + 2, 200, 3, 'sec_old')];
    held.add(events, T);
    held.rotate(T);
    expect(held.nextTouches(5)).toEqual([['sec_new', T + 1], ['sec_old', T]]);
    const rollups = drainAll(held, T);
    expect(rollups.reduce((n, r) => n + r.count, 0)).toBe(3);
    expect(new Set(rollups.map((r) => `${r.key_id} ${r.bucket_start}`))).toEqual(new Set([`key_a ${T}`]));
  });

  it('forgetting secrets past its bound costs only an early last-used write, never a lost count', () => {
    const held = new HeldUsage(0, 50_000, 2);
    held.add([use('key_a', T, 200, 3, 'sec_a'), use('key_b', T, 200, 3, 'sec_b'), use('key_c', T, 200, 3, 'sec_c'), use('key_a', T + 1, 200, 3, 'sec_a')], T);
    held.rotate(T);
    expect(held.nextTouches(5).map(([s]) => s)).toEqual(['sec_a', 'sec_a', 'sec_b', 'sec_c']);
    expect(drainAll(held, T).reduce((n, r) => n + r.count, 0)).toBe(4);
  });

  it('keeps a secret\'s entry on the key record its events carry, never uses one another writer left there, and counts every event once', () => {
    const record = { heldUse: undefined };
    const other = new HeldUsage(0);
    other.add([{ ...use('key_a', T, 200, 3, 'sec_a'), holder: record }], T);
    const held = new HeldUsage(0);
    const carried = (ts: number) => ({ ...use('key_a', ts, 200, 3, 'sec_a'), holder: record });
    held.add([carried(T + 1), carried(T + 2)], T);
    held.add([carried(T + 4)], T + 5);
    held.rotate(T + 5);
    // One entry for the secret: one last-used time (its first use in the minute) and one rollup of all three.
    expect(held.nextTouches(5)).toEqual([['sec_a', T + 1]]);
    expect(drainAll(held, T + 5).map((r) => [r.key_id, r.count])).toEqual([['key_a', 3]]);
    expect(drainAll(other, T).map((r) => [r.key_id, r.count])).toEqual([['key_a', 1]]);
    held.written(0, 1);
    // A record read again (a new object) starts a new entry: nothing is lost, a last-used time is written again.
    const reread = { heldUse: undefined };
    held.add([carried(T + 5), { ...use('key_a', T + 6, 200, 3, 'sec_a'), holder: reread }], T + 6);
    held.rotate(T + 6, true);
    expect(held.nextTouches(5).map(([s]) => s)).toEqual(['sec_a']); // the new entry's; the first one wrote its minute already
    held.written(0, 1);
    expect(drainAll(held, T + 6).reduce((n, r) => n + r.count, 0)).toBe(2);
  });

  it('gives a rollup the rowid its row was written under, once that write committed, for that minute, route and status only', () => {
    const held = new HeldUsage(0);
    const drainOnce = (now: number, rowid: number, commit = true) => {
      held.rotate(now, true);
      const [r, ...rest] = held.next(10);
      expect(rest).toEqual([]);
      const given = r!.rowid;
      r!.rowid = rowid; // what the writer does once SQLite returns the row's rowid
      if (commit) held.written(1);
      return given;
    };
    held.add([use('key_a', T)], T);
    expect(drainOnce(T, 41, false)).toBe(0);
    // Its transaction failed: the same rollup is given again, with the rowid of the row that was rolled back (the
    // writer's statement by rowid also names the whole key, so it finds no row and goes on to the key's search).
    expect(drainOnce(T, 42)).toBe(41);
    held.add([use('key_a', T + 1)], T);
    expect(drainOnce(T, 42)).toBe(42);
    held.add([use('key_a', T + 2, 429)], T);
    expect(drainOnce(T, 43)).toBe(0); // another status: another row
    held.add([use('key_a', T + 3, 429)], T);
    expect(drainOnce(T, 43)).toBe(43);
    held.add([use('key_a', T + 60_000)], T);
    expect(drainOnce(T, 44)).toBe(0); // another minute: another row, remembered in the place of the minute before's
    held.add([use('key_a', T + 60_001)], T);
    expect(drainOnce(T, 44)).toBe(44);
    held.add([use('key_a', T + 4)], T);
    expect(drainOnce(T, 42)).toBe(0); // a late event of the minute before: its row is found by its key
    held.add([use('key_a', T + 60_002, 429)], T);
    expect(drainOnce(T, 45)).toBe(0);
    held.add([use('key_a', T + 60_003), use('key_a', T + 60_004, 429)], T);
    held.rotate(T, true);
    expect(held.next(10).map((r) => [r.status, r.rowid])).toEqual([[429, 45], [200, 44]]); // one remembered row per route and status
  });

  it('sorts ids as their characters order, whatever prefix they share, however they tie', () => {
    const scratch = { numbers: new Float64Array(0) };
    const sorted = (ids: string[]) => {
      const items = ids.map((id, i) => ({ id, i }));
      sortById(items, items.length, (x) => x.id, scratch);
      return items.map((x) => x.id);
    };
    const ids = ['key_01j0000000zzzzzzzzzzzzzzzz', 'key_01j0000001000000000000000b', 'key_01j0000001000000000000000a', 'key_a', 'key_', 'kez', 'k', '', 'key_01j00', 'key_01j0000001000000000000000a'];
    expect(sorted(ids)).toEqual([...ids].sort());
    // All alike but far down: one run of ties, put in order by the whole ids.
    const alike = Array.from({ length: 300 }, (_, i) => `sec_${'x'.repeat(12)}${String((i * 7919) % 300).padStart(3, '0')}`);
    expect(sorted(alike)).toEqual([...alike].sort());
    // Characters past ASCII clamp to one code: their ties are still settled by the whole ids.
    const wide = ['key_\u0101b', 'key_\u0100z', 'key_\u00ffa', 'key_~'];
    expect(sorted(wide)).toEqual([...wide].sort());
    // Only the first n: what lies past them (a reused array's old entries) stays where it is.
    const items = ['c', 'a', 'b', 'z', 'y'].map((id) => ({ id }));
    sortById(items, 3, (x) => x.id, scratch);
    expect(items.map((x) => x.id)).toEqual(['a', 'b', 'c', 'z', 'y']);
    const random = Array.from({ length: 5_000 }, () => `key_01k${Math.random().toString(32).slice(2, 12)}`);
    expect(sorted(random)).toEqual([...random].sort());
  });

  it('a rollup used again after it was written starts from zero (none of its old counts leak)', () => {
    const held = new HeldUsage(0);
    held.add([use('key_a', T, 200, 900), use('key_a', T, 200, 900)], T);
    drainAll(held, T);
    held.add([use('key_z', T + 60_000, 404, 0.1)], T + 60_000);
    const [again] = drainAll(held, T + 60_000);
    const histogram = new Array<number>(LATENCY_BUCKETS).fill(0);
    histogram[0] = 1;
    expect(again).toEqual({ key_id: 'key_z', period: 'minute', bucket_start: T + 60_000, route: 'GET /v1/me', status: 404, required_scopes: 'me', count: 1, latency_ms_sum: 0.1, histogram });
  });
});
