import { describe, expect, it } from 'vitest';
import { DAY_MS, DEFAULT_TIER, type LimiterState, decide, rateLimitHeaders, resolveLimits } from '../../src/core/limits.js';

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

function burst(limits = resolveLimits('free'), n: number, now = T0, state?: LimiterState) {
  let s = state;
  const decisions = [];
  for (let i = 0; i < n; i++) {
    const { decision, next } = decide(s, limits, now);
    s = next;
    decisions.push(decision);
  }
  return { decisions, state: s! };
}

describe('tiers (SPEC section 4)', () => {
  it('are exactly the documented table, standard by default', () => {
    expect(resolveLimits('free')).toEqual({ perMinute: 60, perDay: 10_000 });
    expect(resolveLimits('standard')).toEqual({ perMinute: 600, perDay: 100_000 });
    expect(resolveLimits('premium')).toEqual({ perMinute: 3_000, perDay: 1_000_000 });
    expect(resolveLimits('enterprise')).toEqual({ perMinute: 12_000, perDay: 10_000_000 });
    expect(DEFAULT_TIER).toBe('standard');
    expect(resolveLimits('free', { perMinute: 100_000 })).toEqual({ perMinute: 100_000, perDay: 10_000 });
  });
});

describe('token bucket per minute (GCRA)', () => {
  it('lets a new key send its per-minute number at once, then refuses', () => {
    const { decisions } = burst(resolveLimits('free'), 61);
    expect(decisions.filter((d) => d.allowed)).toHaveLength(60);
    expect(decisions[59]!.minuteRemaining).toBe(0);
    expect(decisions[60]).toMatchObject({ allowed: false, violated: 'minute', retryAfter: 1 });
  });

  it('works for every tier, including standard 600 at once', () => {
    for (const tier of ['free', 'standard', 'premium', 'enterprise'] as const) {
      const limits = resolveLimits(tier);
      const { decisions } = burst(limits, limits.perMinute + 1);
      expect(decisions.filter((d) => d.allowed)).toHaveLength(limits.perMinute);
    }
  });

  it('refills continuously: one token per 60/limit seconds', () => {
    const limits = resolveLimits('free');
    const { state } = burst(limits, 60);
    expect(decide(state, limits, T0 + 999).decision.allowed).toBe(false);
    const after = decide(state, limits, T0 + 1000);
    expect(after.decision.allowed).toBe(true);
    expect(after.decision.minuteRemaining).toBe(0);
    expect(decide(after.next, limits, T0 + 1000).decision.allowed).toBe(false);
  });

  it('a refusal takes no token', () => {
    const limits = resolveLimits('free');
    const { state } = burst(limits, 60);
    let s = state;
    for (let i = 0; i < 100; i++) s = decide(s, limits, T0 + 10).next;
    expect(decide(s, limits, T0 + 1000).decision.allowed).toBe(true);
  });

  it('an idle minute fills the bucket again, never above the limit', () => {
    const limits = resolveLimits('free');
    const { state } = burst(limits, 60);
    const { decisions } = burst(limits, 61, T0 + 600_000, state);
    expect(decisions.filter((d) => d.allowed)).toHaveLength(60);
  });

  it('reports seconds to a full bucket and the retry delay', () => {
    const limits = resolveLimits('free');
    const { decisions } = burst(limits, 61);
    expect(decisions[0]!.minuteReset).toBe(1);
    expect(decisions[59]!.minuteReset).toBe(60);
    expect(decisions[60]!.retryAfter).toBe(1);
  });
});

describe('daily quota', () => {
  it('refuses past the quota with daily_quota_exceeded until 00:00 UTC', () => {
    const limits = resolveLimits('free', { perMinute: 1_000_000, perDay: 5 });
    const { decisions, state } = burst(limits, 6);
    expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
    expect(decisions[5]).toMatchObject({ allowed: false, violated: 'day', retryAfter: 12 * 3600 });
    const nextDay = Math.floor(T0 / DAY_MS + 1) * DAY_MS;
    expect(decide(state, limits, nextDay - 1).decision.allowed).toBe(false);
    expect(decide(state, limits, nextDay).decision.allowed).toBe(true);
  });

  it('a day refusal takes no minute token', () => {
    const limits = resolveLimits('free', { perMinute: 2, perDay: 1 });
    const first = decide(undefined, limits, T0);
    const refused = decide(first.next, limits, T0);
    expect(refused.decision.violated).toBe('day');
    expect(refused.next.tat).toBe(first.next.tat);
  });
});

describe('headers', () => {
  it('describes both policies and the one closest to exhaustion', () => {
    const limits = resolveLimits('standard');
    const { decision } = decide(undefined, limits, T0);
    expect(rateLimitHeaders(decision)).toEqual({
      'ratelimit-policy': '"minute";q=600;w=60, "day";q=100000;w=86400',
      ratelimit: '"minute";r=599;t=1',
      'x-ratelimit-limit': '600',
      'x-ratelimit-remaining': '599',
      'x-ratelimit-reset': '1',
    });
  });

  it('switches to the day policy when it is closer to exhaustion and adds Retry-After on refusal', () => {
    const limits = resolveLimits('free', { perDay: 2 });
    const { decisions } = burst(limits, 3);
    const h = rateLimitHeaders(decisions[2]!);
    expect(h.ratelimit).toBe(`"day";r=0;t=${12 * 3600}`);
    expect(h['x-ratelimit-limit']).toBe('2');
    expect(h['retry-after']).toBe(String(12 * 3600));
  });
});
