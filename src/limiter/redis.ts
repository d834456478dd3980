/**
 * The shared limiter: one Lua script per request runs core `decide()`'s maths
 * atomically inside Redis, so a burst spread over any number of nodes admits
 * exactly the limit. State per key is one hash {t: GCRA tat, d: UTC day, c: day
 * count}; a refusal writes nothing. test/limiter/redis.test.ts holds the script
 * equal to `decide()` on the same request sequence.
 *
 * Commands time out after ~50 ms and are never queued while disconnected, so a
 * dead or paused Redis costs a request at most that; the fallback limiter then
 * takes over (fallback.ts). The deadline is ours rather than ioredis'
 * `commandTimeout`: on a busy event loop a timer can fire before the socket read
 * of a reply that arrived in time, and that must not count as an outage.
 */
import { Redis } from 'ioredis';
import { DAY_MS, type Decision, type Limits, MINUTE_MS, type Policy } from '../core/limits.js';
import type { LimiterStatus, RateLimiter } from './limiter.js';

export const REDIS_COMMAND_TIMEOUT_MS = 50;

// Every line mirrors core/limits.ts `decide`; tat is written with 17 significant
// digits because Lua's default number-to-string keeps only 14.
const CONSUME_LUA = `
local now = tonumber(ARGV[1])
local perMinute = tonumber(ARGV[2])
local perDay = tonumber(ARGV[3])
local MINUTE, DAY, EPS = ${MINUTE_MS}, ${DAY_MS}, 1e-6
local interval = MINUTE / perMinute
local today = math.floor(now / DAY)
local s = redis.call('HMGET', KEYS[1], 't', 'd', 'c')
local tat, dayCount = now, 0
if s[1] then
  tat = math.max(tonumber(s[1]), now)
  if tonumber(s[2]) == today then dayCount = tonumber(s[3]) end
end
local newTat = tat + interval
local minuteOk = newTat - now <= MINUTE + EPS
local dayOk = dayCount < perDay
local allowed = minuteOk and dayOk
local usedTat, usedCount = tat, dayCount
if allowed then usedTat, usedCount = newTat, dayCount + 1 end
local dayReset = math.max(1, math.ceil(((today + 1) * DAY - now) / 1000))
local violated, retryAfter = 0, 0
if not allowed then
  if minuteOk then
    violated, retryAfter = 2, dayReset
  else
    violated, retryAfter = 1, math.max(1, math.ceil((tat + interval - MINUTE - now) / 1000))
  end
end
if allowed then
  redis.call('HSET', KEYS[1], 't', string.format('%.17g', newTat), 'd', today, 'c', usedCount)
  -- Kept until the bucket is full again and the day is over, whichever is later.
  local ttl = math.max(newTat - now, (today + 1) * DAY - now)
  redis.call('PEXPIRE', KEYS[1], math.ceil(ttl) + 1000)
end
return {
  allowed and 1 or 0, violated,
  math.max(0, math.floor((MINUTE - (usedTat - now)) / interval + EPS)),
  math.max(0, math.ceil((usedTat - now) / 1000 - EPS / 1000)),
  math.max(0, perDay - usedCount), dayReset, retryAfter,
}
`;

type ConsumeReply = [number, number, number, number, number, number, number];

interface ScriptedRedis extends Redis {
  atenderConsume(key: string, now: number, perMinute: number, perDay: number): Promise<ConsumeReply>;
}

const VIOLATED: (Policy | null)[] = [null, 'minute', 'day'];

export interface RedisLimiterOptions {
  /** Prepended to every key, so several deployments (or test runs) can share one Redis. */
  prefix?: string;
  commandTimeoutMs?: number;
}

export class RedisLimiter implements RateLimiter {
  readonly kind = 'redis';
  private readonly redis: ScriptedRedis;
  private readonly timeoutMs: number;

  constructor(url: string, options: RedisLimiterOptions = {}) {
    const redis = new Redis(url, {
      keyPrefix: options.prefix ?? 'atender:',
      connectTimeout: 1_000,
      // Fail at once while disconnected instead of queueing behind a reconnect.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
    });
    // Connection errors surface as failed commands; the fallback logs the transition.
    redis.on('error', () => {});
    redis.defineCommand('atenderConsume', { numberOfKeys: 1, lua: CONSUME_LUA });
    this.redis = redis as ScriptedRedis;
    this.timeoutMs = options.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS;
  }

  /** Waits (bounded) for the first connection, so a node that starts with Redis up does not begin degraded. */
  async connected(timeoutMs = 2_000): Promise<boolean> {
    const ready = this.redis.status === 'ready' || (await this.waitReady(timeoutMs));
    // Loaded now, so no request pays for the NOSCRIPT round trip on a cold node.
    if (ready) await this.redis.script('LOAD', CONSUME_LUA).catch(() => {});
    return ready;
  }

  private waitReady(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.redis.on('ready', onReady);
    });
  }

  async consume(keyId: string, limits: Limits, now: number): Promise<Decision> {
    const [allowed, violated, minuteRemaining, minuteReset, dayRemaining, dayReset, retryAfter] = await withDeadline(
      this.redis.atenderConsume(`rl:${keyId}`, now, limits.perMinute, limits.perDay),
      this.timeoutMs,
    );
    return { allowed: allowed === 1, violated: VIOLATED[violated] ?? null, limits, minuteRemaining, minuteReset, dayRemaining, dayReset, retryAfter };
  }

  /** A write, so it is held by `CLIENT PAUSE ... WRITE` exactly like the limiter script. */
  async probe(): Promise<void> {
    await withDeadline(this.redis.set('probe', '1', 'PX', 5_000), this.timeoutMs);
  }

  status(): LimiterStatus {
    return { store: 'redis', degraded: false };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

/**
 * Rejects when `promise` has not settled `ms` after the call. The verdict waits
 * for setImmediate, i.e. until after the event loop's I/O phase, so a reply that
 * is already in the socket buffer is read first.
 */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => setImmediate(() => reject(new Error(`Redis did not answer within ${ms} ms`))), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
