// @ts-check
/**
 * `npm run bench:micro`: the key pipeline's pieces one by one, in ns per operation
 * (tinybench; each sample runs a batch of INNER calls so the timer's own cost
 * does not swamp nanosecond work). Needs `npm run build`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { KeyVerifier } from '#dist/auth/key-verifier.js';
import { ManualClock } from '#dist/core/clock.js';
import { generateKey, keyDigest, parseKey } from '#dist/core/keys.js';
import { decide, rateLimitHeaders } from '#dist/core/limits.js';
import { MemoryLimiter } from '#dist/limiter/memory.js';
import { openSqlite, openStore } from '#dist/store/db.js';
import { UsageRecorder } from '#dist/usage/recorder.js';
import { packBatch, unpackBatch } from '#dist/usage/packed-batch.js';
import { preparedUsageWriter } from '#dist/usage/sqlite-batch.js';

const INNER = 1_000;
const token = generateKey('production');
const digest = keyDigest(token);
const clock = new ManualClock(Date.UTC(2026, 0, 1));
const limits = { perMinute: 1_000_000_000, perDay: 1_000_000_000 };
/** @type {import('#dist/core/access.js').KeyRecord} */
const record = {
  keyId: 'key_01jbenchbenchbenchbenchbe',
  orgId: 'org_01jbenchbenchbenchbenchbe',
  tenantId: 'ten_01jbenchbenchbenchbenchbe',
  environment: 'production',
  name: 'bench',
  scopes: new Set(['knowledge:read']),
  tier: 'enterprise',
  limits,
  active: true,
  expiresAt: null,
  revokedAt: null,
  allowedIps: [],
  secretId: 'sec_01jbenchbenchbenchbenchbe',
  secretRetiresAt: null,
  limiterState: undefined,
  heldUse: undefined,
};
const verifier = new KeyVerifier(async () => record, clock);
verifier.health = { healthy: () => true };
await verifier.lookup(digest);
const limiter = new MemoryLimiter();
const decision = decide(undefined, limits, clock.now()).decision;
/** @returns {import('#dist/usage/recorder.js').UsageEvent} */
const event = () => ({ keyId: record.keyId, secretId: record.secretId, ts: clock.now(), method: 'GET', route: 'GET /v1/me', requiredScopes: '', status: 200, latencyMs: 0.42, ip: '127.0.0.1' });

const dir = mkdtempSync(join(tmpdir(), 'atender-micro-'));
const store = await openStore(join(dir, 'micro.db'));
// Enqueue only: batches go nowhere, so the buffer's own cost is what is measured.
/** @type {import('#dist/usage/writer.js').BatchWriter} */
const discard = { write: async () => {}, close: async () => {} };
/** @type {UsageRecorder} */
let recorder = new UsageRecorder(discard);
// The SQLite usage writer thread's write, run here on the main thread to time it.
const writeBatch = preparedUsageWriter(openSqlite(join(dir, 'micro.db')));
const FLUSHED = 500;

const bench = new Bench({ time: 500, warmupTime: 100 });
/** @param {string} name @param {() => unknown} once @param {import('tinybench').FnOptions} [options] */
const batch = (name, once, options) =>
  bench.add(
    name,
    () => {
      for (let i = 0; i < INNER; i++) once();
    },
    options,
  );

batch('key parse + checksum (parseKey)', () => parseKey(token));
batch('SHA-256 digest (keyDigest)', () => keyDigest(token));
batch('verifier cache hit (cached, sync)', () => verifier.cached(digest));
batch('verifier cache hit (lookup, promise)', () => verifier.lookup(digest));
batch('limiter decide (core decide)', () => decide(undefined, limits, clock.now()));
batch('limiter consume (in-process, sync)', () => limiter.consumeNow(record.keyId, limits, clock.now()));
batch('rate-limit headers (rateLimitHeaders)', () => rateLimitHeaders(decision));
batch('usage enqueue (record)', () => recorder.record(event()), {
  beforeEach: () => {
    recorder = new UsageRecorder(discard);
  },
});
/** @type {ReturnType<typeof event>[]} */
let pending = [];
const handedOff = Array.from({ length: FLUSHED }, event);
bench.add(`usage hand-off to the writer thread, ${FLUSHED} events (pack + unpack)`, () => unpackBatch(packBatch(handedOff)));
bench.add(`usage write to SQLite, ${FLUSHED} events (writer thread's work)`, () => writeBatch(pending), {
  beforeEach: () => {
    pending = Array.from({ length: FLUSHED }, event);
  },
});

await bench.run();
const rows = bench.tasks.map((task) => {
  const result = /** @type {any} */ (task.result);
  const perCall = task.name.startsWith('usage write') || task.name.startsWith('usage hand-off') ? FLUSHED : INNER;
  const ns = (/** @type {number} */ ms) => Math.round((ms * 1e6) / perCall);
  return { piece: task.name, 'ns/op (median)': ns(result.latency.p50), 'ns/op (mean)': ns(result.latency.mean), samples: result.latency.samplesCount ?? result.latency.samples?.length ?? '' };
});
console.table(rows);
process.stdout.write('usage hand-off and write are per event (one batch of ' + FLUSHED + ': its block of the request log, rollups, last_used_at); the write runs on the writer thread, not the request path.\n');
await store.close();
rmSync(dir, { recursive: true, force: true });
