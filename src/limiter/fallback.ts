/**
 * Redis with a capped local fallback (SPEC section 4, "When Redis is
 * unreachable"). While Redis answers, every decision is the shared one and this
 * node remembers the remaining budget it last saw per key. When a command fails
 * or times out, the node turns degraded: it serves from a local bucket holding
 * limit / N (N = max(live nodes from heartbeats, ATENDER_MIN_NODES)), seeded from
 * its share of the last remaining value seen, never full and never open, and
 * probes Redis in the background until it answers, then goes back to it.
 *
 * Not reconciled: what a node admitted locally is not charged to Redis afterwards,
 * so right after recovery a key may get up to its outage share once more.
 */
import { type Decision, type Limits, MINUTE_MS, utcDay } from '../core/limits.js';
import { type DecisionCallback, type LimiterStatus, type RateLimiter, consumeThen, decisionOf } from './limiter.js';
import { MemoryBudget } from './memory.js';

/** The Redis side, as the fallback needs it. */
export interface SharedLimiter {
  consume(keyId: string, limits: Limits, now: number): Promise<Decision>;
  /** The same through a callback (RedisLimiter's), used when there is one: no promise per request. */
  consumeThen?(keyId: string, limits: Limits, now: number, done: DecisionCallback): void;
  probe(): Promise<void>;
  close(): Promise<void>;
}

export type TransitionListener = (degraded: boolean, reason: string | null) => void;

interface Seen {
  minuteRemaining: number;
  dayRemaining: number;
  day: number;
  at: number;
}

export interface FallbackOptions {
  /** N: how many nodes share each budget right now. */
  nodes: () => number;
  probeIntervalMs?: number;
  maxRemembered?: number;
}

export class FallbackLimiter implements RateLimiter {
  readonly kind = 'redis';
  private degradedSince: number | null = null;
  private readonly local = new MemoryBudget(200_000);
  private readonly lastSeen = new Map<string, Seen>();
  private readonly listeners: TransitionListener[] = [];
  private probeTimer: NodeJS.Timeout | null = null;
  private readonly probeIntervalMs: number;
  private readonly maxRemembered: number;
  /** How many times this node entered degraded mode. */
  degradations = 0;

  constructor(
    private readonly shared: SharedLimiter,
    private readonly options: FallbackOptions,
  ) {
    this.probeIntervalMs = options.probeIntervalMs ?? 500;
    this.maxRemembered = options.maxRemembered ?? 200_000;
  }

  onTransition(listener: TransitionListener): void {
    this.listeners.push(listener);
  }

  consume(keyId: string, limits: Limits, now: number): Promise<Decision> {
    return decisionOf((done) => this.consumeThen(keyId, limits, now, done));
  }

  /** Never an error: when Redis fails, the decision is the local one. */
  consumeThen(keyId: string, limits: Limits, now: number, done: DecisionCallback): void {
    if (this.degradedSince !== null) return done(null, this.consumeLocally(keyId, limits, now));
    const decided = (error: unknown, decision?: Decision) => {
      if (error) {
        this.degrade(now, error);
        return done(null, this.consumeLocally(keyId, limits, now));
      }
      this.remember(keyId, decision!, now);
      done(null, decision);
    };
    consumeThen(this.shared, keyId, limits, now, decided);
  }

  status(): LimiterStatus {
    return { store: 'redis', degraded: this.degradedSince !== null };
  }

  async close(): Promise<void> {
    this.stopProbing();
    await this.shared.close();
  }

  /** This node's cap while degraded: limit / N, whole requests where the share allows it. */
  static share(limits: Limits, nodes: number): Limits {
    const part = (n: number) => Math.floor(n / nodes) || n / nodes;
    return { perMinute: part(limits.perMinute), perDay: part(limits.perDay) };
  }

  private consumeLocally(keyId: string, limits: Limits, now: number): Decision {
    const nodes = Math.max(1, this.options.nodes());
    const share = FallbackLimiter.share(limits, nodes);
    if (!this.local.has(keyId)) this.seed(keyId, limits, share, nodes, now);
    return this.local.take(keyId, share, now);
  }

  /** Starts the local bucket at this node's share of what Redis last said remained (refilled since), not full. */
  private seed(keyId: string, limits: Limits, share: Limits, nodes: number, now: number): void {
    const seen = this.lastSeen.get(keyId);
    if (!seen) return;
    const refilled = Math.min(limits.perMinute, seen.minuteRemaining + ((now - seen.at) * limits.perMinute) / MINUTE_MS);
    const minuteTokens = Math.min(share.perMinute, Math.floor(refilled / nodes));
    const today = utcDay(now);
    const dayTokens = seen.day === today ? Math.min(share.perDay, Math.floor(seen.dayRemaining / nodes)) : share.perDay;
    const interval = MINUTE_MS / share.perMinute;
    this.local.seed(keyId, { tat: now + (share.perMinute - minuteTokens) * interval, day: today, dayCount: share.perDay - dayTokens });
  }

  private remember(keyId: string, d: Decision, now: number): void {
    this.lastSeen.delete(keyId);
    if (this.lastSeen.size >= this.maxRemembered) this.lastSeen.delete(this.lastSeen.keys().next().value!);
    this.lastSeen.set(keyId, { minuteRemaining: d.minuteRemaining, dayRemaining: d.dayRemaining, day: utcDay(now), at: now });
  }

  private degrade(now: number, error: unknown): void {
    if (this.degradedSince !== null) return;
    this.degradedSince = now;
    this.degradations++;
    this.local.clear();
    const reason = error instanceof Error ? error.message : String(error);
    for (const l of this.listeners) l(true, reason);
    this.probeTimer = setInterval(() => void this.probe(), this.probeIntervalMs);
    this.probeTimer.unref();
  }

  private probing = false;

  private async probe(): Promise<void> {
    if (this.probing || this.degradedSince === null) return;
    this.probing = true;
    try {
      await this.shared.probe();
      this.stopProbing();
      this.degradedSince = null;
      this.local.clear();
      for (const l of this.listeners) l(false, null);
    } catch {
      // still unreachable; try again next tick
    } finally {
      this.probing = false;
    }
  }

  private stopProbing(): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
  }
}
