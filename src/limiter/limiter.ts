import type { Decision, Limits } from '../core/limits.js';

/** An object kept for one key alone (the pipeline's cached key record), on which a limiter may keep that key's state. */
export interface LimiterStateHolder {
  limiterState: unknown;
}

/** Error first, as Node's callbacks: the decision, or why there is none (Redis did not answer, say). */
export type DecisionCallback = (error: Error | null, decision?: Decision) => void;

export interface LimiterStatus {
  /** Where budgets live: this process, or Redis shared by every node. */
  store: 'memory' | 'redis';
  /** True while Redis is unreachable and this node serves from its capped local share. */
  degraded: boolean;
}

/**
 * Counts requests against a key's budget. Implementations differ only in where
 * the state lives; the maths is core/limits.ts `decide`.
 */
export interface RateLimiter {
  readonly kind: string;
  consume(keyId: string, limits: Limits, now: number): Promise<Decision>;
  /**
   * The same decision made synchronously, offered only by a limiter whose state
   * lives in this process: the request pipeline then needs no promise at all.
   * `holder`: an object the caller keeps for this key alone (its cached key
   * record), on which the limiter may keep the key's state to skip a lookup.
   */
  consumeNow?(keyId: string, limits: Limits, now: number, holder?: LimiterStateHolder): Decision;
  /**
   * The decision of a limiter that has to wait (Redis), handed to `done` instead
   * of a promise, so the pipeline adds no promise of its own either.
   */
  consumeThen?(keyId: string, limits: Limits, now: number, done: DecisionCallback): void;
  status(): LimiterStatus;
  close(): Promise<void>;
}

/**
 * Hands a limiter's decision to `done`: through its own `consumeThen` when it
 * has one (no promise), else from its `consume` promise.
 */
export function consumeThen(limiter: Pick<RateLimiter, 'consume' | 'consumeThen'>, keyId: string, limits: Limits, now: number, done: DecisionCallback): void {
  if (limiter.consumeThen) return limiter.consumeThen(keyId, limits, now, done);
  limiter.consume(keyId, limits, now).then(
    (decision) => done(null, decision),
    (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
  );
}

/** The promise of what a callback-style `consumeThen` decides: the `consume` of a limiter that has one. */
export function decisionOf(consumeThen: (done: DecisionCallback) => void): Promise<Decision> {
  return new Promise((resolve, reject) => consumeThen((error, decision) => (error ? reject(error) : resolve(decision!))));
}
