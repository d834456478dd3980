/** The in-process budget's state kept on the caller's key record (limiter/memory.ts): the same decisions as the map alone. */
import { describe, expect, it } from 'vitest';
import type { Decision, Limits } from '../../src/core/limits.js';
import { MemoryBudget } from '../../src/limiter/memory.js';

const T = Date.UTC(2026, 6, 1, 12);
const limits: Limits = { perMinute: 10, perDay: 25 };
const allowed = (ds: Decision[]) => ds.filter((d) => d.allowed).length;

describe('MemoryBudget with a holder', () => {
  it('decides exactly as without one, request by request, over bursts, refills and the day quota', () => {
    const plain = new MemoryBudget();
    const held = new MemoryBudget();
    const record = { limiterState: undefined };
    for (let i = 0; i < 200; i++) {
      const now = T + i * 1_500; // 40 requests a minute against 10: refusals, refills, then the day's 25
      expect(held.take('key_a', limits, now, record)).toEqual(plain.take('key_a', limits, now));
    }
  });

  it('two records of one key (a re-read, a rotation) share its one budget', () => {
    const budget = new MemoryBudget();
    const [before, after] = [{ limiterState: undefined }, { limiterState: undefined }];
    const decisions = Array.from({ length: 20 }, (_, i) => budget.take('key_a', limits, T, i % 2 === 0 ? before : after));
    expect(allowed(decisions)).toBe(10);
  });

  it('a holder passed for another id, or to another budget, is not trusted', () => {
    const budget = new MemoryBudget();
    const record = { limiterState: undefined };
    for (let i = 0; i < 10; i++) budget.take('key_a', limits, T, record);
    expect(budget.take('key_a', limits, T, record).allowed).toBe(false);
    expect(budget.take('key_b', limits, T, record).allowed).toBe(true);
    expect(new MemoryBudget().take('key_a', limits, T, record).allowed).toBe(true);
  });

  it('after clear, seed or sweep the map answers again: a stale state on a record is never used', () => {
    const budget = new MemoryBudget();
    const record = { limiterState: undefined };
    for (let i = 0; i < 10; i++) budget.take('key_a', limits, T, record);
    budget.clear();
    expect(budget.take('key_a', limits, T, record).allowed).toBe(true);
    // A seed replaces the state in the map (the Redis fallback's local share): the record's old one is dropped.
    budget.seed('key_a', { tat: T + 10 * 6_000, day: Math.floor(T / 86_400_000), dayCount: 0 });
    expect(budget.take('key_a', limits, T, record).allowed).toBe(false);
    // A sweep may drop the state from the map; a new state there must not be shadowed by the record's.
    const small = new MemoryBudget(1);
    const other = { limiterState: undefined };
    for (let i = 0; i < 10; i++) small.take('key_a', limits, T, record);
    small.take('key_b', limits, T + 86_400_000 * 2, other); // sweeps key_a (full again, from an earlier day) out
    expect(small.size).toBe(1);
    expect(small.has('key_a')).toBe(false);
    const again = small.take('key_a', limits, T + 86_400_000 * 2, record);
    expect(again.allowed).toBe(true);
    expect(small.has('key_a')).toBe(true);
  });
});
