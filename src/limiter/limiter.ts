import type { Decision, Limits } from '../core/limits.js';

/**
 * Counts requests against a key's budget. Implementations differ only in where
 * the state lives; the maths is core/limits.ts `decide`.
 */
export interface RateLimiter {
  readonly kind: string;
  consume(keyId: string, limits: Limits, now: number): Promise<Decision>;
  close(): Promise<void>;
}
