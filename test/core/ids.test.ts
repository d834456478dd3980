import { describe, expect, it } from 'vitest';
import { encodeTime, newId } from '../../src/core/ids.js';

describe('ids', () => {
  it('carry their prefix and 26 Crockford base32 characters', () => {
    for (const prefix of ['key', 'art', 'org', 'ten']) expect(newId(prefix)).toMatch(new RegExp(`^${prefix}_[0-9a-hjkmnp-tv-z]{26}$`));
  });

  it('sort by creation time, whatever the random part', () => {
    const t0 = Date.UTC(2026, 0, 1);
    const ids = [t0 + 5, t0, t0 + 1, t0 + 86_400_000, t0 + 2].map((t) => newId('art', t));
    const byTime = [...ids].sort((a, b) => a.slice(4, 14).localeCompare(b.slice(4, 14)));
    expect([...ids].sort()).toEqual(byTime);
    expect([...ids].sort()[0]).toBe(ids[1]);
    expect([...ids].sort().at(-1)).toBe(ids[3]);
  });

  it('the time part is the millisecond timestamp, fixed width', () => {
    expect(encodeTime(0)).toBe('0000000000');
    expect(encodeTime(31)).toBe('000000000z');
    expect(encodeTime(32)).toBe('0000000010');
    expect(encodeTime(Date.UTC(2026, 0, 1))).toHaveLength(10);
  });

  it('are unique within one millisecond', () => {
    const now = Date.now();
    expect(new Set(Array.from({ length: 10_000 }, () => newId('art', now))).size).toBe(10_000);
  });
});

describe('ids made within one millisecond', () => {
  it('sort in the order they were made', () => {
    const now = Date.UTC(2026, 0, 1);
    const ids = Array.from({ length: 1000 }, () => newId('art', now));
    expect([...ids].sort()).toEqual(ids);
  });
});
