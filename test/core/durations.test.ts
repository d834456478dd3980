import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/core/durations.js';

describe('durations (<n>s|m|h|d)', () => {
  it.each([
    ['30s', 30_000],
    ['15m', 900_000],
    ['24h', 86_400_000],
    ['90d', 90 * 86_400_000],
    ['0s', 0],
    [' 7d ', 7 * 86_400_000],
  ])('%j → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '90', 'd', '1w', '1.5h', '-1d', '1 d', '1D', '10000000000s', '1h30m'])('refuses %j', (text) => expect(parseDuration(text)).toBeNull());
});
