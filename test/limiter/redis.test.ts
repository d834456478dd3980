import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DAY_MS, type LimiterState, type Limits, decide } from '../../src/core/limits.js';
import { RedisLimiter } from '../../src/limiter/redis.js';
import { REDIS_URL, requireService } from '../helpers/services.js';

const T0 = Date.UTC(2026, 5, 1, 23, 59, 0); // a minute before a UTC day boundary
const run = await requireService('redis');

describe.runIf(run)('Redis limiter script (real Redis)', () => {
  const prefix = `atender-test:${randomBytes(6).toString('hex')}:`;
  let limiter: RedisLimiter;
  let inspect: Redis;
  beforeAll(async () => {
    limiter = new RedisLimiter(REDIS_URL, { prefix, commandTimeoutMs: 2_000 });
    expect(await limiter.connected()).toBe(true);
    inspect = new Redis(REDIS_URL, { keyPrefix: prefix });
  });
  afterAll(async () => {
    const keys = await inspect.keys(`${prefix}*`);
    if (keys.length > 0) await inspect.unlink(...keys.map((k) => k.slice(prefix.length)));
    inspect.disconnect();
    await limiter.close();
  });

  let keyCounter = 0;
  /** Feeds one request sequence to decide() and to the script; returns both decision lists. */
  async function both(limits: Limits, times: number[]) {
    const keyId = `key_parity_${keyCounter++}`;
    let state: LimiterState | undefined;
    const expected = [];
    const actual = [];
    for (const now of times) {
      const { decision, next } = decide(state, limits, now);
      if (decision.allowed) state = next;
      expected.push(decision);
      actual.push(await limiter.consume(keyId, limits, now));
    }
    return { expected, actual, keyId };
  }

  it('makes exactly the decisions decide() makes, for any limits and request times', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ perMinute: fc.integer({ min: 1, max: 700 }), perDay: fc.integer({ min: 1, max: 50 }) }),
        fc.array(fc.integer({ min: 0, max: 4_000 }), { minLength: 1, maxLength: 120 }),
        async (limits, gaps) => {
          let now = T0;
          const times = gaps.map((g) => (now += g % 7 === 0 ? g * 20 : g % 3 === 0 ? 0 : g));
          const { expected, actual } = await both(limits, times);
          expect(actual).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('requests sent together go as one batch and still get decide()\'s decisions, in order, key by key', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ perMinute: fc.integer({ min: 1, max: 50 }), perDay: fc.integer({ min: 1, max: 30 }) }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 3_000 })), { minLength: 1, maxLength: 300 }),
        async (limits, requests) => {
          const keyIds = [0, 1, 2].map(() => `key_batch_${keyCounter++}`);
          const states: (LimiterState | undefined)[] = [undefined, undefined, undefined];
          let now = T0;
          const expected = requests.map(([k, gap]) => {
            now += gap;
            const { decision, next } = decide(states[k], limits, now);
            if (decision.allowed) states[k] = next;
            return decision;
          });
          now = T0;
          // Not awaited one by one: all of them are waiting at once (more than one batch's worth when long).
          const actual = await Promise.all(requests.map(([k, gap]) => limiter.consume(keyIds[k]!, limits, (now += gap))));
          expect(actual).toEqual(expected);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('a callback that throws leaves none of its batch waiting, and its error is thrown again on its own', async () => {
    const limits = { perMinute: 100, perDay: 1_000 };
    const deferred: (() => void)[] = [];
    let nextTick: { mockRestore(): void } | undefined;
    const answered: boolean[] = [];
    await new Promise<void>((resolve) => {
      for (let i = 0; i < 3; i++) {
        limiter.consumeThen(`key_throws_${keyCounter++}`, limits, T0, (error, decision) => {
          answered.push(error === null && decision!.allowed);
          // Caught only between this throw and the next callback: ioredis needs the real nextTick.
          if (i === 0) {
            nextTick = vi.spyOn(process, 'nextTick').mockImplementation(((fn: () => void) => void deferred.push(fn)) as typeof process.nextTick);
            throw new Error('a bug further on');
          }
          nextTick?.mockRestore();
          if (answered.length === 3) resolve();
        });
      }
    });
    expect(answered).toEqual([true, true, true]);
    expect(deferred).toHaveLength(1);
    expect(deferred[0]).toThrow('a bug further on');
  });

  it('admits a burst of exactly the per-minute number, with the same headers maths at the end', async () => {
    const limits = { perMinute: 600, perDay: 100_000 };
    const { expected, actual } = await both(limits, Array.from({ length: 601 }, () => T0 + 5));
    expect(actual.filter((d) => d.allowed)).toHaveLength(600);
    expect(actual[600]).toEqual(expected[600]);
    expect(actual[600]).toMatchObject({ allowed: false, violated: 'minute', retryAfter: 1 });
  });

  it('a refusal changes nothing, and the key expires once the bucket is full and the day is over', async () => {
    const limits = { perMinute: 2, perDay: 1_000 };
    const { keyId } = await both(limits, [T0, T0]);
    const before = await inspect.hgetall(`rl:${keyId}`);
    const refused = await limiter.consume(keyId, limits, T0 + 1);
    expect(refused.allowed).toBe(false);
    expect(await inspect.hgetall(`rl:${keyId}`)).toEqual(before);
    const ttl = await inspect.pttl(`rl:${keyId}`);
    // tat is T0 + 60 s, the day ends at T0 + 60 s as well: about a minute either way.
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(62_000);
  });

  it('counts the day per UTC calendar day and refuses with violated "day" past the quota', async () => {
    const limits = { perMinute: 1_000, perDay: 3 };
    const { expected, actual } = await both(limits, [T0, T0 + 1, T0 + 2, T0 + 3, T0 + 60_001, T0 + DAY_MS]);
    expect(actual).toEqual(expected);
    expect(actual.map((d) => d.violated)).toEqual([null, null, null, 'day', null, null]);
  });
});
