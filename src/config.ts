/** All configuration, read once from the environment (SPEC section 7). */
import { type Cidr, parseCidr } from './core/client-ip.js';

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
  usageRetentionDays: number;
  /** How often buffered usage events are written (ms); a full batch is written at once regardless. */
  usageFlushMs: number;
}

export class ConfigError extends Error {}

function integer(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  return n;
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
    usageRetentionDays: integer('ATENDER_USAGE_RETENTION_DAYS', env.ATENDER_USAGE_RETENTION_DAYS, 30, 1, 3650),
    usageFlushMs: integer('ATENDER_USAGE_FLUSH_MS', env.ATENDER_USAGE_FLUSH_MS, 1_000, 10, 4_000),
  };
}
