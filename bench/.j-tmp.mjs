import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, openSqlite } from '/work/main/dist/store/db.js';
import { preparedUsageWriter } from '/work/main/dist/usage/sqlite-batch.js';
const dir = mkdtempSync(join(tmpdir(), 'w-'));
const path = join(dir, 'db.sqlite');
const s0 = await openStore(path); await s0.close();
const sqlite = openSqlite(path);
const N = 200_000, B = 1000;
const ev = (i) => ({ keyId: `key_b${i % 1}`, secretId: `sec_b${i % 1}`, ts: 1767225600000 + i * 5, method: 'GET', route: 'GET /v1/me', requiredScopes: '', status: 200, latencyMs: (i % 97) / 10, ip: '198.51.100.1' });
const batches = []; for (let b = 0; b < N / B; b++) { const batch = []; for (let i = 0; i < B; i++) batch.push(ev(b * B + i)); batches.push(batch); }
const jsons = batches.map((b) => JSON.stringify(b));
function time(name, f) { const c0 = process.cpuUsage(); const t0 = performance.now(); for (let i = 0; i < batches.length; i++) f(i); const c = process.cpuUsage(c0); console.log(name.padEnd(30), 'wall µs/ev', ((performance.now() - t0) * 1000 / N).toFixed(2), 'cpu', ((c.user + c.system) / N).toFixed(2)); }
time('stringify', (i) => JSON.stringify(batches[i]));
time('parse', (i) => JSON.parse(jsons[i]));
const w = preparedUsageWriter(sqlite);
time('prepared writer (objs)', (i) => w(batches[i]));
const ins = sqlite.prepare(`insert into usage_events (key_id, secret_id, ts, method, route, status, latency_ms, ip) select value->>'keyId', value->>'secretId', value->>'ts', value->>'method', value->>'route', value->>'status', value->>'latencyMs', value->>'ip' from json_each(?)`);
const tx = sqlite.transaction((j) => ins.run(j));
time('json_each raw objects', (i) => tx.immediate(jsons[i]));
const arrs = batches.map((b) => JSON.stringify(b.map((e) => [e.keyId, e.secretId, e.ts, e.method, e.route, e.status, e.latencyMs, e.ip])));
const ins2 = sqlite.prepare(`insert into usage_events (key_id, secret_id, ts, method, route, status, latency_ms, ip) select value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7 from json_each(?)`);
const tx2 = sqlite.transaction((j) => ins2.run(j));
time('json_each raw arrays', (i) => tx2.immediate(arrs[i]));
time('stringify arrays', (i) => JSON.stringify(batches[i].map((e) => [e.keyId, e.secretId, e.ts, e.method, e.route, e.status, e.latencyMs, e.ip])));
{
  const cols = '(key_id, secret_id, ts, method, route, status, latency_ms, ip)';
  const one = '(?, ?, ?, ?, ?, ?, ?, ?)';
  const st = sqlite.prepare(`insert into usage_events ${cols} values ${Array(50).fill(one).join(', ')}`);
  const tx3 = sqlite.transaction((b) => { for (let i = 0; i < b.length; i += 50) { const p = []; for (let j = i; j < i + 50; j++) { const e = b[j]; p.push(e.keyId, e.secretId, e.ts, e.method, e.route, e.status, e.latencyMs, e.ip); } st.run(p); } });
  time('direct flat params raw only', (i) => tx3.immediate(batches[i]));
  const st200 = sqlite.prepare(`insert into usage_events ${cols} values ${Array(200).fill(one).join(', ')}`);
  const tx4 = sqlite.transaction((b) => { for (let i = 0; i < b.length; i += 200) { const p = []; for (let j = i; j < i + 200; j++) { const e = b[j]; p.push(e.keyId, e.secretId, e.ts, e.method, e.route, e.status, e.latencyMs, e.ip); } st200.run(p); } });
  time('direct flat params 200/stmt', (i) => tx4.immediate(batches[i]));
  const single = sqlite.prepare(`insert into usage_events ${cols} values ${one}`);
  const tx5 = sqlite.transaction((b) => { for (const e of b) single.run(e.keyId, e.secretId, e.ts, e.method, e.route, e.status, e.latencyMs, e.ip); });
  time('single-row prepared', (i) => tx5.immediate(batches[i]));
}
