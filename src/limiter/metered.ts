/**
 * Counts every decision of the limiter it wraps, labelled by where the decision
 * was made, and times those that wait for another process (Redis).
 */
import { performance } from 'node:perf_hooks';
import type { Decision, Limits } from '../core/limits.js';
import type { DecisionCallback, LimiterStateHolder, LimiterStatus, RateLimiter } from './limiter.js';

export type DecisionObserver = (store: 'memory' | 'redis' | 'local', decision: Decision, seconds?: number) => void;

export class MeteredLimiter implements RateLimiter {
  readonly consumeNow?: (keyId: string, limits: Limits, now: number, holder?: LimiterStateHolder) => Decision;
  readonly consumeThen?: (keyId: string, limits: Limits, now: number, done: DecisionCallback) => void;

  constructor(
    private readonly inner: RateLimiter,
    private readonly observe: DecisionObserver,
  ) {
    if (inner.consumeNow) {
      const decide = inner.consumeNow.bind(inner);
      const { store } = inner.status();
      this.consumeNow = (keyId, limits, now, holder) => {
        const decision = decide(keyId, limits, now, holder);
        observe(store, decision);
        return decision;
      };
    }
    if (inner.consumeThen) {
      const decide = inner.consumeThen.bind(inner);
      this.consumeThen = (keyId, limits, now, done) => {
        const started = performance.now();
        decide(keyId, limits, now, (error, decision) => {
          if (decision) this.observeWaited(decision, started);
          done(error, decision);
        });
      };
    }
  }

  get kind(): string {
    return this.inner.kind;
  }

  consume(keyId: string, limits: Limits, now: number): Promise<Decision> {
    const started = performance.now();
    return this.inner.consume(keyId, limits, now).then((decision) => {
      this.observeWaited(decision, started);
      return decision;
    });
  }

  private observeWaited(decision: Decision, started: number): void {
    const { store, degraded } = this.inner.status();
    this.observe(degraded ? 'local' : store, decision, (performance.now() - started) / 1000);
  }

  status(): LimiterStatus {
    return this.inner.status();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
