/**
 * Wires the adapters to the services once. The server and the CLI both start
 * from here, so they share one set of rules and one database.
 */
import { KeyVerifier } from './auth/key-verifier.js';
import { KeyChangeFeed } from './changes/key-change-feed.js';
import type { Config } from './config.js';
import { type Clock, systemClock } from './core/clock.js';
import { Idempotency } from './http/idempotency.js';
import { FailedAuthThrottle } from './limiter/failed-auth.js';
import type { RateLimiter } from './limiter/limiter.js';
import { MemoryLimiter } from './limiter/memory.js';
import { ExpiryNotices } from './services/expiry-notices.js';
import { KeyService } from './services/keys.js';
import { OrgService } from './services/orgs.js';
import { type Store, openStore } from './store/db.js';
import { findRecordByDigest } from './store/keys-repo.js';
import { UsageRecorder } from './usage/recorder.js';
import { UsagePruner } from './usage/retention.js';
import { usageWriterFor } from './usage/worker-writer.js';

export interface Runtime {
  config: Config;
  clock: Clock;
  store: Store;
  keys: KeyService;
  orgs: OrgService;
  close(): Promise<void>;
}

export interface ServingRuntime extends Runtime {
  verifier: KeyVerifier;
  feed: KeyChangeFeed;
  limiter: RateLimiter;
  failedAuth: FailedAuthThrottle;
  usage: UsageRecorder;
  idempotency: Idempotency;
  usagePruner: UsagePruner;
  expiryNotices: ExpiryNotices;
}

/** What a CLI command needs: the database and the services. */
export async function openRuntime(config: Config, clock: Clock = systemClock): Promise<Runtime> {
  const store = await openStore(config.databaseUrl);
  return {
    config,
    clock,
    store,
    keys: new KeyService(store, clock),
    orgs: new OrgService(store, clock),
    close: () => store.close(),
  };
}

/** What `serve` needs on top: the key cache and its change feed, the limiter and usage recording. */
export async function openServingRuntime(config: Config, clock: Clock = systemClock): Promise<ServingRuntime> {
  const base = await openRuntime(config, clock);
  const verifier = new KeyVerifier((digest) => findRecordByDigest(base.store.db, digest), clock);
  const feed = new KeyChangeFeed(base.store, verifier, clock);
  verifier.health = feed;
  // Changes made through this process are seen at once, before the next poll.
  base.keys.onChange((keyId, digest) => {
    verifier.invalidateKey(keyId);
    if (digest) verifier.forgetUnknown(digest);
  });
  await feed.start();
  const usage = new UsageRecorder(usageWriterFor(base.store, config.databaseUrl), { flushIntervalMs: config.usageFlushMs });
  usage.start();
  const usagePruner = new UsagePruner(base.store.db, clock, config.usageRetentionDays);
  usagePruner.start();
  const expiryNotices = new ExpiryNotices(base.keys);
  const limiter: RateLimiter = new MemoryLimiter();
  const idempotency = new Idempotency(base.store, clock);
  idempotency.start();
  return {
    ...base,
    verifier,
    feed,
    limiter,
    failedAuth: new FailedAuthThrottle(),
    usage,
    idempotency,
    usagePruner,
    expiryNotices,
    async close() {
      idempotency.stop();
      await feed.stop();
      await usagePruner.stop();
      await expiryNotices.idle();
      await usage.stop();
      await limiter.close();
      await base.close();
    },
  };
}
