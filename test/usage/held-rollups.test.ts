/** Rollups held across batches and written in key order (the single-core writer's, usage/held-rollups.ts). */
import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS } from '../../src/core/latency.js';
import { HeldRollups } from '../../src/usage/held-rollups.js';
import { type Rollup, type UsageEvent, rollUp } from '../../src/usage/writer.js';

const T = Date.UTC(2026, 6, 1, 12);
const use = (keyId: string, ts: number, status = 200, latencyMs = 3): UsageEvent => ({ keyId, secretId: null, ts, method: 'GET', route: 'GET /v1/me', requiredScopes: 'me', status, latencyMs, ip: null });
const plain = (rs: readonly Rollup[]) => rs.map((r) => ({ key_id: r.key_id, period: r.period, bucket_start: r.bucket_start, route: r.route, status: r.status, required_scopes: r.required_scopes, count: r.count, latency_ms_sum: r.latency_ms_sum, histogram: [...r.histogram] }));

/** Everything the held rollups give out once rotated, slice by slice, each marked written. */
function drainAll(held: HeldRollups, now: number, slice = 3): Rollup[] {
  const out: Rollup[] = [];
  for (;;) {
    held.rotate(now, true);
    const next = held.next(slice);
    if (next.length === 0) return out;
    out.push(...plain(next));
    held.written(next.length);
  }
}

describe('HeldRollups', () => {
  it('merges batches into one rollup per key, minute, route and status, given out in primary-key order', () => {
    const held = new HeldRollups(1_000);
    const first = [use('key_b', T), use('key_a', T + 1), use('key_b', T + 2, 429)];
    const second = [use('key_b', T + 3, 200, 900), use('key_c', T + 60_000), use('key_a', T + 4)];
    held.add(first, T);
    held.add(second, T + 10);
    expect(held.size).toBe(4); // key_a, key_b 200 (twice), key_b 429, key_c
    // The same rollups the per-batch writer would have written for both batches at once.
    expect(drainAll(held, T + 20)).toEqual(plain(rollUp([...first, ...second])));
    expect(held.size).toBe(0);
  });

  it('starts draining only when the hold is over, the last drain is written, or on demand', () => {
    const held = new HeldRollups(1_000);
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
    const held = new HeldRollups(0);
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
    const held = new HeldRollups(60_000, 100);
    held.add(Array.from({ length: 99 }, (_, i) => use(`key_${i}`, T)), T);
    held.rotate(T + 1);
    expect(held.next(1)).toEqual([]);
    held.add([use('key_last', T)], T + 1);
    held.rotate(T + 2);
    expect(held.next(1000)).toHaveLength(100);
  });

  it('holds last-used times with them: the latest per secret, given out in secret id order, again until written', () => {
    const held = new HeldRollups(1_000);
    held.add([use('key_a', T)], T, [['sec_b', T + 5], ['sec_a', T + 9]]);
    held.add([], T + 10, [['sec_b', T + 7], ['sec_a', T + 2], ['sec_c', T + 1]]);
    held.rotate(T + 500);
    expect(held.nextTouches(10)).toEqual([]);
    held.rotate(T + 1_000);
    expect(held.nextTouches(2)).toEqual([['sec_a', T + 9], ['sec_b', T + 7]]);
    expect(held.nextTouches(2)).toEqual([['sec_a', T + 9], ['sec_b', T + 7]]); // not written yet
    held.written(1, 2);
    expect(held.nextTouches(5)).toEqual([['sec_c', T + 1]]);
    expect(held.size).toBe(1);
    held.written(0, 1);
    expect(held.size).toBe(0);
  });

  it('a rollup used again after it was written starts from zero (none of its old counts leak)', () => {
    const held = new HeldRollups(0);
    held.add([use('key_a', T, 200, 900), use('key_a', T, 200, 900)], T);
    drainAll(held, T);
    held.add([use('key_z', T + 60_000, 404, 0.1)], T + 60_000);
    const [again] = drainAll(held, T + 60_000);
    const histogram = new Array<number>(LATENCY_BUCKETS).fill(0);
    histogram[0] = 1;
    expect(again).toEqual({ key_id: 'key_z', period: 'minute', bucket_start: T + 60_000, route: 'GET /v1/me', status: 404, required_scopes: 'me', count: 1, latency_ms_sum: 0.1, histogram });
  });
});
