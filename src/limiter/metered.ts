/**
 * Counts every decision of the limiter it wraps, labelled by where the decision
 * was made, and times those that wait for another process (Redis).
 */
import { performance } from 'node:perf_hooks';
import type { Decision, Limits } from '../core/limits.js';
import type { LimiterStateHolder, LimiterStatus, RateLimiter } from './limiter.js';

export type DecisionObserver = (store: 'memory' | 'redis' | 'local', decision: Decision, seconds?: number) => void;

export class MeteredLimiter implements RateLimiter {
  readonly consumeNow?: (keyId: string, limits: Limits, now: number, holder?: LimiterStateHolder) => Decision;

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
  }

  get kind(): string {
    return this.inner.kind;
  }

  consume(keyId: string, limits: Limits, now: number): Promise<Decision> {
    const started = performance.now();
    return this.inner.consume(keyId, limits, now).then((decision) => {
      const { store, degraded } = this.inner.status();
      this.observe(degraded ? 'local' : store, decision, (performance.now() - started) / 1000);
      return decision;
    });
  }

  status(): LimiterStatus {
    return this.inner.status();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
