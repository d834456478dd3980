// npm run bench:usage: what usage recording costs (issue 5).
//  (a) throughput of GET /v1/me with recording on vs off: alternating rounds in one
//      run, each against a fresh server process, autocannon as the client;
//  (b) sustained usage events per second written into SQLite (raw rows + minute and
//      day rollups + last-used), through the real recorder and writer.
// Also reported: the server's CPU time per request (all its threads, usage writes
// included), which a busy shared machine disturbs less than throughput.
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
  console.log(`      server CPU per request (all threads): off ${throughput.cpuOff.toFixed(1)} µs, on ${throughput.cpuOn.toFixed(1)} µs (+${((throughput.cpuOn / throughput.cpuOff - 1) * 100).toFixed(1)}%)`);
  console.log(`      usage rows written during the "on" rounds: ${throughput.rows} of ${throughput.onRequests} requests answered`);
  console.log(`  (b) ${EVENTS.toLocaleString('en-US')} events into SQLite: ${writes.perSecond.toFixed(0)} events/s (target ≥ 20,000), ${writes.batches} batches, ${writes.dropped} dropped`);
  console.log(JSON.stringify({ req_per_s_off: Math.round(throughput.off), req_per_s_on: Math.round(throughput.on), overhead_percent: Number(overhead.toFixed(2)), cpu_us_per_req_off: Number(throughput.cpuOff.toFixed(1)), cpu_us_per_req_on: Number(throughput.cpuOn.toFixed(1)), events_per_s: Math.round(writes.perSecond) }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);

async function recordingOverhead(databaseUrl) {
  const rt = await openRuntime({ ...loadConfig({}), databaseUrl });
  const org = await rt.orgs.create('Bench');
  const key = await rt.keys.create({ orgId: org.org.id, environment: 'production', name: 'bench', scopes: [], perMinute: 1_000_000_000, perDay: 1_000_000_000 }, OPERATOR);
  await rt.close();
  const results = { off: [], on: [] };
  const cpu = { off: [], on: [] };
  let onRequests = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? ['off', 'on'] : ['on', 'off']) {
      const server = await startNode(databaseUrl, mode);
      try {
        const warm = await load(server.url, key.key, 2); // warm-up: JIT, caches
        const cpuBefore = await server.cpu();
        const result = await load(server.url, key.key, SECONDS);
        cpu[mode].push((await server.cpu()) - cpuBefore);
        cpu[mode + 'Requests'] = (cpu[mode + 'Requests'] ?? 0) + result['2xx'];
        results[mode].push(result.requests.average);
        if (mode === 'on') onRequests += warm['2xx'] + result['2xx'];
      } finally {
        await server.stop();
      }
    }
  }
  const store = await openStore(databaseUrl);
  const rows = Number((await store.db.selectFrom('usage_event_blocks').select((eb) => eb.fn.coalesce(eb.fn.sum('count'), eb.lit(0)).as('n')).executeTakeFirstOrThrow()).n);
  await store.close();
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  return {
    off: mean(results.off),
    on: mean(results.on),
    offRounds: results.off,
    onRounds: results.on,
    cpuOff: sum(cpu.off) / cpu.offRequests,
    cpuOn: sum(cpu.on) / cpu.onRequests,
    rows,
    onRequests,
  };
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
    // The timer also keeps this process alive while the server writes what it buffered.
    cpu: () =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('bench server did not report its CPU time')), 60_000);
        child.once('message', (m) => {
          clearTimeout(timer);
          resolve(m.cpuMicros);
        });
        child.send('cpu');
      }),
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
  const writer = usageWriterFor(store, databaseUrl);
  const recorder = new UsageRecorder(writer, { capacity: EVENTS });
  const routes = [['GET /v1/me', ''], ['GET /v1/knowledge/articles', 'knowledge:read'], ['GET /v1/knowledge/articles/{id}', 'knowledge:read'], ['POST /v1/knowledge/articles', 'knowledge:write'], ['GET /v1/contacts', 'contacts:read']];
  const statuses = [200, 200, 200, 200, 201, 404, 403, 429, 401, 500];
  const start = Date.UTC(2026, 0, 1);
  // 50 keys, 5 routes, a spread of statuses and latencies, 10 minutes of traffic.
  const events = [];
  for (let i = 0; i < EVENTS; i++) {
    const [route, requiredScopes] = routes[i % routes.length];
    events.push({ keyId: `key_bench${i % 50}`, secretId: `sec_bench${i % 50}`, ts: start + Math.floor((i / EVENTS) * 600_000), method: route.split(' ')[0], route, requiredScopes, status: statuses[i % statuses.length], latencyMs: (i % 97) / 10, ip: '198.51.100.1' });
  }
  // Start the writer thread before timing: the first batch goes alone.
  await writer.write(events.splice(0, 1_000));
  const timed = events.length;
  const began = process.hrtime.bigint();
  for (const e of events) recorder.record(e);
  await recorder.stop();
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  const written = Number((await store.db.selectFrom('usage_event_blocks').select((eb) => eb.fn.coalesce(eb.fn.sum('count'), eb.lit(0)).as('n')).executeTakeFirstOrThrow()).n);
  await store.close();
  if (written !== EVENTS) throw new Error(`wrote ${written} of ${EVENTS} events`);
  return { perSecond: timed / seconds, batches: recorder.stats.batches, dropped: recorder.stats.dropped };
}
