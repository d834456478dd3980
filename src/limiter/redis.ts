/**
 * The shared limiter: a Lua script runs core `decide()`'s maths atomically
 * inside Redis (one call per batch of concurrent requests), so a burst spread over any number of nodes admits
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
import { type DecisionCallback, type LimiterStatus, type RateLimiter, decisionOf } from './limiter.js';

export const REDIS_COMMAND_TIMEOUT_MS = 50;

// Every line mirrors core/limits.ts `decide`; tat is written with 17 significant
// digits because Lua's default number-to-string keeps only 14. One call decides
// for a whole batch of requests, in order: the key ids, comma-separated, in
// ARGV[2] (each one's Redis key is ARGV[1], the prefix, then the id), with now,
// perMinute and perDay at 3i-2..3i of ARGV[3], and the answer is one such string
// too, 7 numbers a key. A key asked for twice in a batch sees its own first write.
// Three arguments and one bulk reply instead of 4 and 7 per key: ioredis
// encoding and parsing those was a fifth of the server's CPU in bench redis
// (measured: 35,000-37,000 -> 42,000-44,000 requests per server CPU-second), and
// the key names were a tenth of what was left of ioredis' part (the keys are
// not declared as KEYS: a batch spans hash slots, so the script never served
// Redis Cluster anyway). Redis pays for the Lua string work: 5.2 -> 6.7 µs of its
// CPU per decision.
const CONSUME_LUA = `
local MINUTE, DAY, EPS = ${MINUTE_MS}, ${DAY_MS}, 1e-6
local prefix = ARGV[1]
local ids = {}
for id in string.gmatch(ARGV[2], '[^,]+') do ids[#ids + 1] = id end
local args = {}
for v in string.gmatch(ARGV[3], '[^,]+') do args[#args + 1] = tonumber(v) end
local out = {}
for i = 1, #ids do
  local key = prefix .. ids[i]
  local now = args[3 * i - 2]
  local perMinute = args[3 * i - 1]
  local perDay = args[3 * i]
  local interval = MINUTE / perMinute
  local today = math.floor(now / DAY)
  local s = redis.call('HMGET', key, 't', 'd', 'c')
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
    redis.call('HSET', key, 't', string.format('%.17g', newTat), 'd', today, 'c', usedCount)
    -- Kept until the bucket is full again and the day is over, whichever is later.
    local ttl = math.max(newTat - now, (today + 1) * DAY - now)
    redis.call('PEXPIRE', key, math.ceil(ttl) + 1000)
  end
  local n = #out
  out[n + 1] = allowed and 1 or 0
  out[n + 2] = violated
  out[n + 3] = math.max(0, math.floor((MINUTE - (usedTat - now)) / interval + EPS))
  out[n + 4] = math.max(0, math.ceil((usedTat - now) / 1000 - EPS / 1000))
  out[n + 5] = math.max(0, perDay - usedCount)
  out[n + 6] = dayReset
  out[n + 7] = retryAfter
end
return table.concat(out, ',')
`;
const REPLY_FIELDS = 7;
const MAX_BATCH = 256;

interface ScriptedRedis extends Redis {
  /** No keys declared (0), the prefix, "id,id,...", then "now,perMinute,perDay,..." for them; "7 numbers a key" back, comma-separated. */
  atenderConsume(numberOfKeys: 0, prefix: string, ids: string, numbers: string): Promise<string>;
}

interface Waiting {
  keyId: string;
  limits: Limits;
  now: number;
  done: DecisionCallback;
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
  /** What the script puts before a key id for its Redis key: the client's prefix (not applied to arguments) and `rl:`. */
  private readonly keyPrefix: string;
  /** Requests that arrived since the last batch went out. */
  private waiting: Waiting[] = [];

  constructor(url: string, options: RedisLimiterOptions = {}) {
    this.keyPrefix = `${options.prefix ?? 'atender:'}rl:`;
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
    redis.defineCommand('atenderConsume', { lua: CONSUME_LUA });
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

  /**
   * Decisions asked for while the event loop handles one round of I/O go to
   * Redis as one script call (setImmediate runs after that round): one command,
   * one round trip and one deadline for the lot, instead of one each. Each
   * request still gets its own exact decision, in arrival order.
   */
  consume(keyId: string, limits: Limits, now: number): Promise<Decision> {
    return decisionOf((done) => this.consumeThen(keyId, limits, now, done));
  }

  consumeThen(keyId: string, limits: Limits, now: number, done: DecisionCallback): void {
    if (this.waiting.length === 0) setImmediate(() => this.send());
    this.waiting.push({ keyId, limits, now, done });
    // Bounded, so one script call never holds Redis (and every other node) for long.
    if (this.waiting.length >= MAX_BATCH) this.send();
  }

  private send(): void {
    const batch = this.waiting;
    if (batch.length === 0) return;
    this.waiting = [];
    // Key ids are ours (core/ids.ts): never a comma in them.
    let ids = '';
    let numbers = '';
    for (const w of batch) {
      ids += `${ids === '' ? '' : ','}${w.keyId}`;
      numbers += `${numbers === '' ? '' : ','}${w.now},${w.limits.perMinute},${w.limits.perDay}`;
    }
    withDeadline(this.redis.atenderConsume(0, this.keyPrefix, ids, numbers), this.timeoutMs).then(
      (packed) => {
        const reply = typeof packed === 'string' ? packed.split(',') : [];
        if (reply.length !== batch.length * REPLY_FIELDS) {
          // A script of another version still loaded under this name, say: an outage for these requests, not a hang.
          const error = new Error(`the limiter script answered ${reply.length} numbers for ${batch.length} keys`);
          for (const w of batch) answer(w, error);
          return;
        }
        for (let i = 0; i < batch.length; i++) {
          const r = i * REPLY_FIELDS;
          const w = batch[i]!;
          const limits = w.limits;
          answer(w, null, {
            allowed: reply[r] === '1',
            violated: VIOLATED[Number(reply[r + 1])] ?? null,
            limits,
            minuteRemaining: Number(reply[r + 2]),
            minuteReset: Number(reply[r + 3]),
            dayRemaining: Number(reply[r + 4]),
            dayReset: Number(reply[r + 5]),
            retryAfter: Number(reply[r + 6]),
          });
        }
      },
      (error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        for (const w of batch) answer(w, failure);
      },
    );
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
 * Hands one request its decision. A callback that throws (a bug further on) must
 * not leave the rest of its batch waiting: the others are answered, and the
 * error is thrown again on its own, as an uncaught error, as it would have been.
 */
function answer(w: Waiting, error: Error | null, decision?: Decision): void {
  try {
    w.done(error, decision);
  } catch (thrown) {
    process.nextTick(() => {
      throw thrown;
    });
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
