import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Decision, Limits } from '../../src/core/limits.js';
import { FallbackLimiter, type SharedLimiter } from '../../src/limiter/fallback.js';
import { MemoryLimiter } from '../../src/limiter/memory.js';

const T0 = Date.UTC(2026, 5, 1, 12);
const LIMITS: Limits = { perMinute: 30, perDay: 1_000 };

/** A working in-process "Redis" that can be made unreachable. */
class SwitchableShared implements SharedLimiter {
  readonly inner = new MemoryLimiter();
  down = false;
  calls = 0;
  async consume(keyId: string, limits: Limits, now: number): Promise<Decision> {
    this.calls++;
    if (this.down) throw new Error('Command timed out');
    return this.inner.consume(keyId, limits, now);
  }
  async probe(): Promise<void> {
    if (this.down) throw new Error('Command timed out');
  }
  async close(): Promise<void> {}
}

async function admitted(limiter: FallbackLimiter, keyId: string, n: number, now = T0): Promise<number> {
  let count = 0;
  for (let i = 0; i < n; i++) if ((await limiter.consume(keyId, LIMITS, now)).allowed) count++;
  return count;
}

describe('Redis fallback limiter', () => {
  afterEach(() => vi.useRealTimers());

  it('passes shared decisions through while Redis answers', async () => {
    const shared = new SwitchableShared();
    const limiter = new FallbackLimiter(shared, { nodes: () => 3 });
    expect(await admitted(limiter, 'key_a', 31)).toBe(30);
    expect(limiter.status()).toEqual({ store: 'redis', degraded: false });
    await limiter.close();
  });

  it('uses the shared limiter\'s callback when it has one, and on its error decides locally, as with a promise', async () => {
    class CallbackShared extends SwitchableShared {
      callbacks = 0;
      consumeThen(keyId: string, limits: Limits, now: number, done: (error: Error | null, decision?: Decision) => void): void {
        this.callbacks++;
        if (this.down) return done(new Error('Redis did not answer within 50 ms'));
        done(null, this.inner.consumeNow(keyId, limits, now));
      }
    }
    const shared = new CallbackShared();
    const limiter = new FallbackLimiter(shared, { nodes: () => 3 });
    const decisions: Decision[] = [];
    for (let i = 0; i < 31; i++) limiter.consumeThen('key_cb', LIMITS, T0, (error, decision) => (expect(error).toBeNull(), decisions.push(decision!)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(30);
    expect({ callbacks: shared.callbacks, promises: shared.calls }).toEqual({ callbacks: 31, promises: 0 });
    shared.down = true;
    const local: Decision[] = [];
    limiter.consumeThen('key_cb2', LIMITS, T0, (error, decision) => (expect(error).toBeNull(), local.push(decision!)));
    expect(limiter.status().degraded).toBe(true);
    expect(local[0]).toMatchObject({ allowed: true, limits: { perMinute: 10, perDay: 333 } });
    await limiter.close();
  });

  it('on failure serves locally, capped at limit / N, starting from the share of the last remaining seen', async () => {
    const shared = new SwitchableShared();
    const limiter = new FallbackLimiter(shared, { nodes: () => 3 });
    const transitions: boolean[] = [];
    limiter.onTransition((degraded) => transitions.push(degraded));
    expect(await admitted(limiter, 'key_seen', 24)).toBe(24); // Redis says 6 remain
    await limiter.consume('key_fresh', LIMITS, T0); // 29 remain: the share is capped at 30 / 3
    shared.down = true;
    const results = await Promise.all(Array.from({ length: 20 }, () => limiter.consume('key_seen', LIMITS, T0)));
    expect(results.filter((d) => d.allowed)).toHaveLength(2); // 6 / 3
    expect(results.at(-1)).toMatchObject({ allowed: false, violated: 'minute' });
    expect(await admitted(limiter, 'key_fresh', 20)).toBe(9); // floor(29 / 3)
    expect(await admitted(limiter, 'key_never_seen', 20)).toBe(10); // no earlier value: the bare cap
    expect(limiter.status().degraded).toBe(true);
    // Once degraded, requests no longer wait on Redis at all; one transition logged however many failed.
    const callsWhenDegraded = shared.calls;
    await admitted(limiter, 'key_seen', 5);
    expect(shared.calls).toBe(callsWhenDegraded);
    expect(transitions).toEqual([true]);
    await limiter.close();
  });

  it('refuses everything when the share is below one request, rather than failing open', async () => {
    const shared = new SwitchableShared();
    shared.down = true;
    const limiter = new FallbackLimiter(shared, { nodes: () => 4 });
    const d = await limiter.consume('key_small', { perMinute: 3, perDay: 100 }, T0);
    expect(d.allowed).toBe(false);
    expect(d.retryAfter).toBeGreaterThanOrEqual(1);
    await limiter.close();
  });

  it('local buckets refill at the share rate, never faster', async () => {
    const shared = new SwitchableShared();
    shared.down = true;
    const limiter = new FallbackLimiter(shared, { nodes: () => 3 });
    expect(await admitted(limiter, 'key_r', 20, T0)).toBe(10);
    // 10 per minute locally: one more every 6 s.
    expect(await admitted(limiter, 'key_r', 5, T0 + 6_000)).toBe(1);
    expect(await admitted(limiter, 'key_r', 5, T0 + 11_000)).toBe(0);
    await limiter.close();
  });

  it('probes in the background and returns to the shared budget when Redis answers again', async () => {
    vi.useFakeTimers();
    const shared = new SwitchableShared();
    const limiter = new FallbackLimiter(shared, { nodes: () => 2, probeIntervalMs: 100 });
    const transitions: [boolean, string | null][] = [];
    limiter.onTransition((degraded, reason) => transitions.push([degraded, reason]));
    shared.down = true;
    await limiter.consume('key_p', LIMITS, T0);
    await vi.advanceTimersByTimeAsync(350);
    expect(limiter.status().degraded).toBe(true);
    shared.down = false;
    await vi.advanceTimersByTimeAsync(150);
    expect(limiter.status().degraded).toBe(false);
    expect(transitions).toEqual([[true, 'Command timed out'], [false, null]]);
    const before = shared.calls;
    const d = await limiter.consume('key_p', LIMITS, T0);
    expect(shared.calls).toBe(before + 1);
    expect(d.limits).toEqual(LIMITS);
    await limiter.close();
  });
});
