/**
 * Wires the adapters to the services once. The server and the CLI both start
 * from here, so they share one set of rules and one database.
 */
import { KeyVerifier } from './auth/key-verifier.js';
import { KeyChangeFeed } from './changes/key-change-feed.js';
import { PgChangeListener } from './changes/pg-notify.js';
import { NodeHeartbeat } from './cluster/heartbeat.js';
import type { Config } from './config.js';
import { type Clock, systemClock } from './core/clock.js';
import { Idempotency } from './http/idempotency.js';
import { FailedAuthThrottle } from './limiter/failed-auth.js';
import { FallbackLimiter } from './limiter/fallback.js';
import type { RateLimiter } from './limiter/limiter.js';
import { MemoryLimiter } from './limiter/memory.js';
import { ExpiryNotices } from './services/expiry-notices.js';
import { MeteredLimiter } from './limiter/metered.js';
import { RedisLimiter } from './limiter/redis.js';
import { KeyService } from './services/keys.js';
import { Metrics } from './ops/metrics.js';
import { OrgService } from './services/orgs.js';
import { type Store, openStore } from './store/db.js';
import { findRecordByDigest } from './store/keys-repo.js';
import { UsageRecorder } from './usage/recorder.js';
import { UsagePruner } from './usage/retention.js';
import { WebhookPruner } from './webhooks/retention.js';
import { usageWriterFor } from './usage/worker-writer.js';
import { WebhookService } from './services/webhooks.js';
import { WebhookDispatcher } from './webhooks/dispatcher.js';
import { SecretBox } from './webhooks/secrets.js';
import { TargetGuard } from './webhooks/target-guard.js';

export interface Runtime {
  config: Config;
  clock: Clock;
  store: Store;
  keys: KeyService;
  orgs: OrgService;
  webhooks: WebhookService;
  close(): Promise<void>;
}

export interface ServingRuntime extends Runtime {
  verifier: KeyVerifier;
  feed: KeyChangeFeed;
  /** PostgreSQL only: the LISTEN connection that wakes the feed. */
  listener: PgChangeListener | null;
  heartbeat: NodeHeartbeat;
  limiter: RateLimiter;
  /** Set when Redis holds the budgets: the shared limiter with its local fallback. */
  fallback: FallbackLimiter | null;
  failedAuth: FailedAuthThrottle;
  usage: UsageRecorder;
  idempotency: Idempotency;
  usagePruner: UsagePruner;
  webhookPruner: WebhookPruner;
  expiryNotices: ExpiryNotices;
  metrics: Metrics;
  /** Created stopped: `serve` starts it (tests call `runDue`). Stopped by `close`. */
  dispatcher: WebhookDispatcher;
}

/** What a CLI command needs: the database and the services. */
export async function openRuntime(config: Config, clock: Clock = systemClock): Promise<Runtime> {
  const store = await openStore(config.databaseUrl, { poolSize: config.dbPoolSize });
  return {
    config,
    clock,
    store,
    keys: new KeyService(store, clock),
    orgs: new OrgService(store, clock),
    webhooks: new WebhookService(store, clock, new TargetGuard(config.webhooksAllowPrivate), new SecretBox(config.webhooks.secretsKey)),
    close: () => store.close(),
  };
}

/** What `serve` needs on top: the key cache and its change feed, the limiter, heartbeats and usage recording. */
export async function openServingRuntime(config: Config, clock: Clock = systemClock): Promise<ServingRuntime> {
  const base = await openRuntime(config, clock);
  const verifier = new KeyVerifier((digest) => findRecordByDigest(base.store.db, digest), clock);
  const listener = base.store.dialect === 'postgres' ? new PgChangeListener(config.databaseUrl, () => void feed.poll()) : null;
  const feed = new KeyChangeFeed(base.store, verifier, clock, listener ? { signal: listener } : {});
  verifier.health = feed;
  // Changes made through this process are seen at once, before the next poll.
  base.keys.onChange((keyId, digest) => {
    verifier.invalidateKey(keyId);
    if (digest) verifier.forgetUnknown(digest);
  });
  await feed.start();
  await listener?.start();
  const heartbeat = new NodeHeartbeat(base.store, clock);
  await heartbeat.start();
  const usage = new UsageRecorder(usageWriterFor(base.store, config.databaseUrl), { flushIntervalMs: config.usageFlushMs });
  usage.start();
  const usagePruner = new UsagePruner(base.store.db, clock, config.usageRetentionDays);
  usagePruner.start();
  const webhookPruner = new WebhookPruner(base.store.db, clock, config.webhookRetentionDays);
  webhookPruner.start();
  const expiryNotices = new ExpiryNotices(base.keys);
  const idempotency = new Idempotency(base.store, clock);
  idempotency.start();
  let fallback: FallbackLimiter | null = null;
  let store: RateLimiter;
  if (config.redisUrl) {
    const redis = new RedisLimiter(config.redisUrl, { prefix: config.redisPrefix, commandTimeoutMs: config.redisTimeoutMs });
    // A node may start during a Redis outage: it then begins degraded and recovers by itself.
    await redis.connected();
    store = fallback = new FallbackLimiter(redis, { nodes: () => Math.max(heartbeat.liveNodes, config.minNodes) });
  } else {
    store = new MemoryLimiter();
  }
  const metrics = new Metrics({
    cache: () => verifier.stats,
    usage: () => ({ pending: usage.pending, dropped: usage.stats.dropped, written: usage.stats.written }),
    feed: () => ({ healthy: feed.healthy(clock.now()), listening: listener ? listener.listening : null, failures: feed.failures }),
    limiter: () => ({ degraded: store.status().degraded, degradations: fallback?.degradations ?? 0 }),
    liveNodes: () => heartbeat.liveNodes,
    // Read at scrape time, once the dispatcher below exists.
    webhooks: () => dispatcher.stats,
  });
  const limiter = new MeteredLimiter(store, (where, decision, seconds) => metrics.limiterDecision(where, decision, seconds));
  const dispatcher = new WebhookDispatcher(base.store, clock, config.webhooks, new TargetGuard(config.webhooksAllowPrivate), new SecretBox(config.webhooks.secretsKey));
  return {
    ...base,
    verifier,
    feed,
    listener,
    heartbeat,
    limiter,
    fallback,
    failedAuth: new FailedAuthThrottle(config.failedAuthPerMinute),
    usage,
    idempotency,
    usagePruner,
    webhookPruner,
    expiryNotices,
    metrics,
    dispatcher,
    async close() {
      await dispatcher.stop();
      idempotency.stop();
      await listener?.stop();
      await feed.stop();
      await usagePruner.stop();
      await webhookPruner.stop();
      await expiryNotices.idle();
      await usage.stop();
      await heartbeat.stop();
      await limiter.close();
      await base.close();
    },
  };
}
