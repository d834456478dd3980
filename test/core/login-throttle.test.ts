import { describe, expect, it } from 'vitest';
import { signInRetryAfter } from '../../src/core/login-throttle.js';

describe('sign-in throttle maths', () => {
  const rule = { limit: 3, windowMs: 60_000 };
  const now = 1_000_000;

  it('allows while fewer than `limit` failures are inside the window', () => {
    expect(signInRetryAfter([], rule, now)).toBeNull();
    expect(signInRetryAfter([now - 1000, now - 2000], rule, now)).toBeNull();
    // Failures that left the window do not count.
    expect(signInRetryAfter([now - 1000, now - 2000, now - 60_000], rule, now)).toBeNull();
  });

  it('at the limit, waits until the oldest counted failure leaves the window', () => {
    expect(signInRetryAfter([now - 1000, now - 2000, now - 10_000], rule, now)).toBe(50);
  });

  it('never answers less than one second', () => {
    expect(signInRetryAfter([now, now - 100, now - 59_999], rule, now)).toBe(1);
  });
});
