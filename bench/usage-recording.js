// npm run bench:usage: what usage recording costs (issue 5).
//  (a) throughput of GET /v1/me with recording on vs off: alternating rounds in one
//      run, each against a fresh server process, autocannon as the client;
//  (b) sustained usage events per second written into SQLite (raw rows + minute and
//      day rollups + last-used), through the real recorder and writer.
// Not part of npm test: the machine is shared and timings are noisy.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { loadConfig } from '../dist/config.js';
import { openRuntime } from '../dist/runtime.js';
import { openStore } from '../dist/store/db.js';
import { OPERATOR } from '../dist/store/audit-repo.js';
import { UsageRecorder } from '../dist/usage/recorder.js';
import { usageWriterFor } from '../dist/usage/worker-writer.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 400_000);

const dir = mkdtempSync(join(tmpdir(), 'atender-bench-usage-'));
try {
  const throughput = await recordingOverhead(join(dir, 'http.db'));
  const writes = await writeThroughput(join(dir, 'writes.db'));
  const overhead = (1 - throughput.on / throughput.off) * 100;
  console.log('\nusage recording benchmark');
  console.log(`  (a) GET /v1/me, ${ROUNDS}×${SECONDS}s per mode, ${CONNECTIONS} connections, alternating`);
  console.log(`      recording off: ${throughput.off.toFixed(0)} req/s   (rounds: ${throughput.offRounds.map((r) => r.toFixed(0)).join(', ')})`);
  console.log(`      recording on:  ${throughput.on.toFixed(0)} req/s   (rounds: ${throughput.onRounds.map((r) => r.toFixed(0)).join(', ')})`);
  console.log(`      cost of recording: ${overhead.toFixed(1)}% of throughput (target < 5%)`);
  console.log(`      usage rows written during the "on" rounds: ${throughput.rows} of ${throughput.onRequests} requests answered`);
  console.log(`  (b) ${EVENTS.toLocaleString('en-US')} events into SQLite: ${writes.perSecond.toFixed(0)} events/s (target ≥ 20,000), ${writes.batches} batches, ${writes.dropped} dropped`);
  console.log(JSON.stringify({ req_per_s_off: Math.round(throughput.off), req_per_s_on: Math.round(throughput.on), overhead_percent: Number(overhead.toFixed(2)), events_per_s: Math.round(writes.perSecond) }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function recordingOverhead(databaseUrl) {
  const rt = await openRuntime({ ...loadConfig({}), databaseUrl });
  const org = await rt.orgs.create('Bench');
  const key = await rt.keys.create({ orgId: org.org.id, environment: 'production', name: 'bench', scopes: [], perMinute: 1_000_000_000, perDay: 1_000_000_000 }, OPERATOR);
  await rt.close();
  const results = { off: [], on: [] };
  let onRequests = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? ['off', 'on'] : ['on', 'off']) {
      const server = await startNode(databaseUrl, mode);
      try {
        const warm = await load(server.url, key.key, 2); // warm-up: JIT, caches
        const result = await load(server.url, key.key, SECONDS);
        results[mode].push(result.requests.average);
        if (mode === 'on') onRequests += warm['2xx'] + result['2xx'];
      } finally {
        await server.stop();
      }
    }
  }
  const store = await openStore(databaseUrl);
  const rows = Number((await store.db.selectFrom('usage_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  await store.close();
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { off: mean(results.off), on: mean(results.on), offRounds: results.off, onRounds: results.on, rows, onRequests };
}

function load(url, key, duration) {
  return autocannon({ url: `${url}/v1/me`, connections: CONNECTIONS, duration, headers: { authorization: `Bearer ${key}` } });
}

async function startNode(databaseUrl, mode) {
  const port = await freePort();
  const child = fork(new URL('./usage-server.js', import.meta.url), [], { env: { ...process.env, ATENDER_DATABASE_URL: databaseUrl, PORT: String(port), BENCH_USAGE: mode }, stdio: 'inherit' });
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); }),
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function writeThroughput(databaseUrl) {
  const store = await openStore(databaseUrl);
  const recorder = new UsageRecorder(usageWriterFor(store, databaseUrl), { capacity: EVENTS });
  const routes = [['GET /v1/me', ''], ['GET /v1/knowledge/articles', 'knowledge:read'], ['GET /v1/knowledge/articles/{id}', 'knowledge:read'], ['POST /v1/knowledge/articles', 'knowledge:write'], ['GET /v1/contacts', 'contacts:read']];
  const statuses = [200, 200, 200, 200, 201, 404, 403, 429, 401, 500];
  const start = Date.UTC(2026, 0, 1);
  // 50 keys, 5 routes, a spread of statuses and latencies, 10 minutes of traffic.
  for (let i = 0; i < EVENTS; i++) {
    const [route, requiredScopes] = routes[i % routes.length];
    recorder.record({ keyId: `key_bench${i % 50}`, secretId: `sec_bench${i % 50}`, ts: start + Math.floor((i / EVENTS) * 600_000), method: route.split(' ')[0], route, requiredScopes, status: statuses[i % statuses.length], latencyMs: (i % 97) / 10, ip: '198.51.100.1' });
  }
  const began = process.hrtime.bigint();
  await recorder.flush();
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  const written = Number((await store.db.selectFrom('usage_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  await store.close();
  if (written !== EVENTS) throw new Error(`wrote ${written} of ${EVENTS} events`);
  return { perSecond: EVENTS / seconds, batches: recorder.stats.batches, dropped: recorder.stats.dropped };
}
