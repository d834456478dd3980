// Measures webhook delivery once (not a test): sustained deliveries/s to a local
// receiver, and the delay from an API write to the receiver getting the event.
// Usage: npm run build && node bench/webhooks.js [sqlite|postgres-url]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../dist/config.js';
import { openRuntime } from '../dist/runtime.js';
import { KnowledgeService } from '../dist/services/knowledge.js';
import { OPERATOR } from '../dist/store/audit-repo.js';

const dir = mkdtempSync(join(tmpdir(), 'atender-bench-wh-'));
const dbUrl = process.argv[2] && process.argv[2] !== 'sqlite' ? process.argv[2] : join(dir, 'bench.db');
const BACKLOG = 5_000;
const LATENCY_SAMPLES = 500;
const WRITE_RATE = 50; // per second, for the latency run

const receipts = new Map(); // article id -> receipt time
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    receipts.set(JSON.parse(body).data.id, performance.now());
    res.writeHead(204).end();
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;

const rt = await openRuntime({ ...loadConfig({}), databaseUrl: dbUrl, webhooksAllowPrivate: true });
const org = await rt.orgs.create(`Bench ${Date.now()}`, { maxTier: 'enterprise' });
await rt.webhooks.create({ orgId: org.org.id, environment: 'sandbox', url: hookUrl, events: ['article.published'] }, OPERATOR);
const key = await rt.keys.create({ orgId: org.org.id, environment: 'sandbox', name: 'bench', scopes: ['knowledge:write'], tier: 'enterprise' }, OPERATOR);
const tenantId = org.tenants.sandbox.id;

const port = 20_000 + Math.floor(Math.random() * 20_000);
const base = `http://127.0.0.1:${port}`;
let server;
async function startServer() {
  server = spawn(process.execPath, ['bin/atender.js', 'serve', '--no-seed'], {
    env: { ...process.env, ATENDER_DATABASE_URL: dbUrl, ATENDER_WEBHOOKS_ALLOW_PRIVATE: '1', PORT: String(port), HOST: '127.0.0.1', ATENDER_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {}
    if (i > 200) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}
async function stopServer() {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
}
process.on('exit', () => server?.kill('SIGKILL'));
await startServer();

async function until(predicate, ms) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

// 1. Latency: API writes at a steady rate through the server; time from request sent to receipt.
const sent = new Map();
for (let i = 0; i < LATENCY_SAMPLES; i++) {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/knowledge/articles`, { method: 'POST', headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: `Latency ${i}`, body: 'x', status: 'published' }) });
  const { id } = await res.json();
  sent.set(id, t0);
  const wait = t0 + 1000 / WRITE_RATE - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
await until(() => [...sent.keys()].every((id) => receipts.has(id)), 60_000);
const delays = [...sent].map(([id, t0]) => receipts.get(id) - t0).sort((a, b) => a - b);
const pct = (p) => delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))];

// 2. Throughput: a backlog written while the server is down (so no process competes for the
// SQLite writer), then drained by a fresh server to the receiver.
await stopServer();
receipts.clear();
const knowledge = new KnowledgeService(rt.store, rt.clock);
for (let i = 0; i < BACKLOG; i += 100) {
  await Promise.all(Array.from({ length: 100 }, (_, j) => knowledge.create(tenantId, { title: `Backlog ${i + j}`, body: 'x', status: 'published' })));
}
await startServer();
await until(() => receipts.size >= BACKLOG, 300_000);
const times = [...receipts.values()];
const seconds = (Math.max(...times) - Math.min(...times)) / 1000;

console.log(JSON.stringify({
  database: rt.store.dialect,
  latency_ms: { samples: delays.length, write_rate_per_s: WRITE_RATE, median: +pct(50).toFixed(1), p99: +pct(99).toFixed(1), max: +delays[delays.length - 1].toFixed(1) },
  throughput: { deliveries: BACKLOG, seconds: +seconds.toFixed(2), per_second: Math.round(BACKLOG / seconds) },
}, null, 2));

await stopServer();
await rt.close();
receiver.close();
rmSync(dir, { recursive: true, force: true });
