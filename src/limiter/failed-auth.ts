/**
 * Per-client-IP throttle of failed authentication (malformed or unknown keys):
 * past 100 in a minute, answer 429 instead of 401. No key's budget is touched.
 */
import type { Decision } from '../core/limits.js';
import { MemoryBudget } from './memory.js';

export const FAILED_AUTH_PER_MINUTE = 100;

export class FailedAuthThrottle {
  private readonly budget = new MemoryBudget(200_000);
  private readonly limits: { perMinute: number; perDay: number };

  constructor(perMinute = FAILED_AUTH_PER_MINUTE) {
    this.limits = { perMinute, perDay: Number.MAX_SAFE_INTEGER };
  }

  /** Counts one failure; returns the refusal when the IP is over its allowance. */
  fail(ip: string, now: number): Decision | null {
    const decision = this.budget.take(ip, this.limits, now);
    return decision.allowed ? null : decision;
  }
}
