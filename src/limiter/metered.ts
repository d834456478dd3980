/** Times and counts every decision of the limiter it wraps, labelled by where the decision was made. */
import { performance } from 'node:perf_hooks';
import type { Decision, Limits } from '../core/limits.js';
import type { LimiterStatus, RateLimiter } from './limiter.js';

export type DecisionObserver = (store: 'memory' | 'redis' | 'local', decision: Decision, seconds: number) => void;

export class MeteredLimiter implements RateLimiter {
  constructor(
    private readonly inner: RateLimiter,
    private readonly observe: DecisionObserver,
  ) {}

  get kind(): string {
    return this.inner.kind;
  }

  async consume(keyId: string, limits: Limits, now: number): Promise<Decision> {
    const started = performance.now();
    const decision = await this.inner.consume(keyId, limits, now);
    const { store, degraded } = this.inner.status();
    this.observe(degraded ? 'local' : store, decision, (performance.now() - started) / 1000);
    return decision;
  }

  status(): LimiterStatus {
    return this.inner.status();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
