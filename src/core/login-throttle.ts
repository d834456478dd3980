/**
 * Sign-in throttle maths (pure): a subject (an account or a client address) may
 * fail at most `limit` times within a sliding window. Given the newest `limit`
 * failure times, the subject may try again once the oldest of them has left the
 * window.
 */
export interface ThrottleRule {
  limit: number;
  windowMs: number;
}

/** 10 wrong passwords per account per 15 minutes. */
export const ACCOUNT_SIGN_IN_RULE: ThrottleRule = { limit: 10, windowMs: 15 * 60_000 };
/** 30 failed sign-ins per client address per 15 minutes, whichever accounts they name. */
export const ADDRESS_SIGN_IN_RULE: ThrottleRule = { limit: 30, windowMs: 15 * 60_000 };

/**
 * Whole seconds (>= 1) until the next attempt is allowed, or null when it is
 * allowed now. `recentFailures` are failure times inside the window, newest
 * first, at most `rule.limit` of them.
 */
export function signInRetryAfter(recentFailures: readonly number[], rule: ThrottleRule, now: number): number | null {
  const inWindow = recentFailures.filter((t) => t > now - rule.windowMs);
  if (inWindow.length < rule.limit) return null;
  const oldestCounted = Math.min(...inWindow.slice(0, rule.limit));
  return Math.max(1, Math.ceil((oldestCounted + rule.windowMs - now) / 1000));
}
