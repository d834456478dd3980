/** All configuration, read once from the environment (SPEC section 7). */
import { type Cidr, parseCidr } from './core/client-ip.js';
import { parseDuration } from './core/durations.js';
import { DEFAULT_RETRY_SCHEDULE_MS } from './core/webhooks.js';
import { FAILED_AUTH_PER_MINUTE } from './limiter/failed-auth.js';

export interface Config {
  databaseUrl: string;
  redisUrl: string | null;
  /** Prefix of every Redis key, so several deployments (or test runs) can share one Redis. */
  redisPrefix: string;
  /** How long a request may wait on Redis before this node serves it from its local share. */
  redisTimeoutMs: number;
  /** PostgreSQL connections per process. */
  dbPoolSize: number;
  port: number;
  host: string;
  trustProxy: Cidr[];
  minNodes: number;
  webhooksAllowPrivate: boolean;
  logLevel: string;
  /** Bench-only: mounts the same handler without the pipeline. Never set in production. */
  benchBaseline: boolean;
  /** Failed authentications per IP per minute before 429 (SPEC: 100; only the bench may raise it). */
  failedAuthPerMinute: number;
  usageRetentionDays: number;
  /** When set, `GET /metrics` wants `Authorization: Bearer <token>`. */
  metricsToken: string | null;
  /** Finished webhook deliveries (and events no delivery needs) are kept this long. */
  webhookRetentionDays: number;
  /** How often buffered usage events are written (ms); a full batch is written at once regardless. */
  usageFlushMs: number;
  webhooks: WebhookConfig;
}

export interface WebhookConfig {
  /** Delays after each failed attempt (ATENDER_WEBHOOK_RETRY_SCHEDULE, e.g. `5s,5m,30m`). */
  retryScheduleMs: number[];
  /**
   * How long a claimed delivery stays with its node (ATENDER_WEBHOOK_LEASE). A node
   * that dies mid-delivery loses the claim after this; each attempt times out at
   * the smaller of 15 s and half the lease, so a live node always finishes first.
   */
  leaseMs: number;
  /** How often an idle dispatcher looks for due deliveries written by other nodes. */
  pollMs: number;
  /** Attempts in flight per node. */
  concurrency: number;
  /** base64 of 32 bytes: seals signing secrets at rest (AES-256-GCM). */
  secretsKey: string | null;
}

export class ConfigError extends Error {}

function integer(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

/**
 * The bench measures the 401 path from one loopback address, which the SPEC's
 * 100-per-minute throttle would turn into 429s after a blink; it may raise the
 * threshold, but only together with the bench switch, so no deployment can.
 */
function failedAuthPerMinute(env: NodeJS.ProcessEnv): number {
  const raised = env.ATENDER_BENCH_FAILED_AUTH_PER_MINUTE;
  if (raised === undefined || raised === '') return FAILED_AUTH_PER_MINUTE;
  if (env.ATENDER_BENCH_BASELINE !== '1') throw new ConfigError('ATENDER_BENCH_FAILED_AUTH_PER_MINUTE is for `npm run bench` only (needs ATENDER_BENCH_BASELINE=1)');
  return integer('ATENDER_BENCH_FAILED_AUTH_PER_MINUTE', raised, FAILED_AUTH_PER_MINUTE, 1, 1_000_000_000);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const trustProxy: Cidr[] = [];
  for (const part of (env.ATENDER_TRUST_PROXY ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const cidr = parseCidr(part);
    if (!cidr) throw new ConfigError(`ATENDER_TRUST_PROXY: not an address or CIDR: "${part}"`);
    trustProxy.push(cidr);
  }
  return {
    databaseUrl: env.ATENDER_DATABASE_URL || './data/atender.db',
    redisUrl: env.ATENDER_REDIS_URL || null,
    redisPrefix: env.ATENDER_REDIS_PREFIX || 'atender:',
    redisTimeoutMs: integer('ATENDER_REDIS_TIMEOUT_MS', env.ATENDER_REDIS_TIMEOUT_MS, 50, 5, 10_000),
    dbPoolSize: integer('ATENDER_DB_POOL_SIZE', env.ATENDER_DB_POOL_SIZE, 10, 1, 1_000),
    port: integer('PORT', env.PORT, 3000, 0, 65535),
    host: env.HOST || '127.0.0.1',
    trustProxy,
    minNodes: integer('ATENDER_MIN_NODES', env.ATENDER_MIN_NODES, 1, 1, 10_000),
    webhooksAllowPrivate: env.ATENDER_WEBHOOKS_ALLOW_PRIVATE === '1' || env.ATENDER_WEBHOOKS_ALLOW_PRIVATE === 'true',
    logLevel: env.ATENDER_LOG_LEVEL || 'info',
    benchBaseline: env.ATENDER_BENCH_BASELINE === '1',
    failedAuthPerMinute: failedAuthPerMinute(env),
    usageRetentionDays: integer('ATENDER_USAGE_RETENTION_DAYS', env.ATENDER_USAGE_RETENTION_DAYS, 30, 1, 3650),
    webhookRetentionDays: integer('ATENDER_WEBHOOK_RETENTION_DAYS', env.ATENDER_WEBHOOK_RETENTION_DAYS, 30, 1, 3650),
    usageFlushMs: integer('ATENDER_USAGE_FLUSH_MS', env.ATENDER_USAGE_FLUSH_MS, 1_000, 10, 4_000),
    metricsToken: metricsToken(env.ATENDER_METRICS_TOKEN),
    webhooks: {
      retryScheduleMs: durations('ATENDER_WEBHOOK_RETRY_SCHEDULE', env.ATENDER_WEBHOOK_RETRY_SCHEDULE, [...DEFAULT_RETRY_SCHEDULE_MS]),
      leaseMs: Math.max(1_000, duration('ATENDER_WEBHOOK_LEASE', env.ATENDER_WEBHOOK_LEASE, 60_000)),
      pollMs: integer('ATENDER_WEBHOOK_POLL_MS', env.ATENDER_WEBHOOK_POLL_MS, 250, 10, 60_000),
      concurrency: integer('ATENDER_WEBHOOK_CONCURRENCY', env.ATENDER_WEBHOOK_CONCURRENCY, 32, 1, 1_000),
      secretsKey: secretsKey(env.ATENDER_WEBHOOK_SECRETS_KEY),
    },
  };
}

function duration(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const ms = parseDuration(value);
  if (ms === null) throw new ConfigError(`${name} must be a duration like 30s or 5m, got "${value}"`);
  return ms;
}

function durations(name: string, value: string | undefined, fallback: number[]): number[] {
  if (value === undefined || value === '') return fallback;
  const list = value.split(',').map((part) => duration(name, part, 0));
  if (list.length > 20) throw new ConfigError(`${name} takes at most 20 delays`);
  return list;
}

function metricsToken(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  if (value.length < 16 || value.length > 256 || !/^[\x21-\x7e]+$/.test(value)) {
    throw new ConfigError('ATENDER_METRICS_TOKEN must be 16 to 256 printable characters without spaces');
  }
  return value;
}

function secretsKey(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  if (Buffer.from(value, 'base64').length !== 32) throw new ConfigError('ATENDER_WEBHOOK_SECRETS_KEY must be base64 of exactly 32 bytes');
  return value;
}
