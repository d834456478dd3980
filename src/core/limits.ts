/**
 * Rate-limit tiers and the decision maths (SPEC section 4), pure and shared by
 * every limiter store: the in-process one runs `decide` directly, the Redis one
 * runs the same arithmetic in a Lua script (and a test holds them equal).
 *
 * Per minute: GCRA, i.e. a token bucket of `perMinute` tokens refilled
 * continuously. State is one "theoretical arrival time" (tat). Per day: a counter
 * per UTC calendar day. A request is admitted only when both allow it, and a
 * refused request changes neither.
 */
export const TIERS = {
  free: { perMinute: 60, perDay: 10_000 },
  standard: { perMinute: 600, perDay: 100_000 },
  premium: { perMinute: 3_000, perDay: 1_000_000 },
  enterprise: { perMinute: 12_000, perDay: 10_000_000 },
} as const;

export type Tier = keyof typeof TIERS;
export const TIER_NAMES = Object.keys(TIERS) as Tier[];
export const DEFAULT_TIER: Tier = 'standard';

export function isTier(name: string): name is Tier {
  return Object.prototype.hasOwnProperty.call(TIERS, name);
}

export function tierRank(tier: Tier): number {
  return TIER_NAMES.indexOf(tier);
}

export interface Limits {
  perMinute: number;
  perDay: number;
}

export function resolveLimits(tier: Tier, overrides: { perMinute?: number | null; perDay?: number | null } = {}): Limits {
  return {
    perMinute: overrides.perMinute ?? TIERS[tier].perMinute,
    perDay: overrides.perDay ?? TIERS[tier].perDay,
  };
}

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
// Floating point guard: 600 emissions of 100 ms must add up to exactly one window.
const EPSILON_MS = 1e-6;

export interface LimiterState {
  /** GCRA theoretical arrival time, epoch ms. */
  tat: number;
  /** UTC day number (epoch ms / DAY_MS, floored) the counter belongs to. */
  day: number;
  dayCount: number;
}

export type Policy = 'minute' | 'day';

export interface Decision {
  allowed: boolean;
  violated: Policy | null;
  limits: Limits;
  minuteRemaining: number;
  /** Seconds until the minute bucket is full again. */
  minuteReset: number;
  dayRemaining: number;
  /** Seconds until 00:00 UTC. */
  dayReset: number;
  /** On refusal: whole seconds (>= 1) after which the request would be admitted. */
  retryAfter: number;
}

export function utcDay(now: number): number {
  return Math.floor(now / DAY_MS);
}

function secondsUntilNextUtcDay(now: number): number {
  return Math.max(1, Math.ceil(((utcDay(now) + 1) * DAY_MS - now) / 1000));
}

/** Decide one request. Returns the decision and the state to store (unchanged when refused). */
export function decide(state: LimiterState | undefined, limits: Limits, now: number): { decision: Decision; next: LimiterState } {
  const interval = MINUTE_MS / limits.perMinute;
  const today = utcDay(now);
  const tat = state ? Math.max(state.tat, now) : now;
  const dayCount = state && state.day === today ? state.dayCount : 0;
  const newTat = tat + interval;
  const minuteOk = newTat - now <= MINUTE_MS + EPSILON_MS;
  const dayOk = dayCount < limits.perDay;
  const allowed = minuteOk && dayOk;
  const usedTat = allowed ? newTat : tat;
  const usedCount = allowed ? dayCount + 1 : dayCount;
  const dayReset = secondsUntilNextUtcDay(now);
  const decision: Decision = {
    allowed,
    violated: allowed ? null : minuteOk ? 'day' : 'minute',
    limits,
    minuteRemaining: Math.max(0, Math.floor((MINUTE_MS - (usedTat - now)) / interval + EPSILON_MS)),
    minuteReset: Math.max(0, Math.ceil((usedTat - now) / 1000 - EPSILON_MS / 1000)),
    dayRemaining: Math.max(0, limits.perDay - usedCount),
    dayReset,
    retryAfter: allowed ? 0 : minuteOk ? dayReset : Math.max(1, Math.ceil((tat + interval - MINUTE_MS - now) / 1000)),
  };
  const next: LimiterState = allowed ? { tat: newTat, day: today, dayCount: usedCount } : { tat, day: today, dayCount };
  return { decision, next };
}

/**
 * The IETF RateLimit fields plus the common X-RateLimit triple for the policy
 * closest to exhaustion (lowest remaining/quota; a tie goes to `minute`).
 */
export function rateLimitHeaders(d: Decision): Record<string, string> {
  const minuteShare = d.minuteRemaining / d.limits.perMinute;
  const dayShare = d.dayRemaining / d.limits.perDay;
  const useDay = dayShare < minuteShare;
  const name = useDay ? 'day' : 'minute';
  const quota = useDay ? d.limits.perDay : d.limits.perMinute;
  const remaining = useDay ? d.dayRemaining : d.minuteRemaining;
  const reset = useDay ? d.dayReset : d.minuteReset;
  const headers: Record<string, string> = {
    'ratelimit-policy': `"minute";q=${d.limits.perMinute};w=60, "day";q=${d.limits.perDay};w=86400`,
    ratelimit: `"${name}";r=${remaining};t=${reset}`,
    'x-ratelimit-limit': String(quota),
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-reset': String(reset),
  };
  if (!d.allowed) headers['retry-after'] = String(d.retryAfter);
  return headers;
}
