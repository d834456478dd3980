import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';
copyFileSync('/tmp/k1m/keys-1M.db', '/tmp/k1m/work.db');
const port = 41234;
const child = spawn('node', ['bin/atender.js', 'serve'], { env: { ...process.env, ATENDER_DATABASE_URL: '/tmp/k1m/work.db', PORT: String(port), ATENDER_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] });
for (;;) { try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch {} await new Promise((r) => setTimeout(r, 200)); }
const tokens = readFileSync('/tmp/k1m/tokens.txt', 'utf8').split('\n').filter(Boolean);
let i = 0;
const metrics = async (label) => { const t = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(); const g = (n) => (Number(new RegExp("^" + n + " (\\S+)$", "m").exec(t)?.[1] ?? NaN) / 2 ** 20).toFixed(0); console.log(label, 'rss', g('process_resident_memory_bytes'), 'heapUsed', g('nodejs_heap_size_used_bytes'), 'heapTotal', g('nodejs_heap_size_total_bytes'), 'external', g('nodejs_external_memory_bytes')); };
await metrics('start');
await autocannon({ url: `http://127.0.0.1:${port}/v1/me`, connections: 50, amount: tokens.length, requests: [{ setupRequest: (req) => ({ ...req, headers: { authorization: `Bearer ${tokens[i++ % tokens.length]}` } }) }] });
await metrics('primed');
await autocannon({ url: `http://127.0.0.1:${port}/v1/me`, connections: 50, duration: 8, requests: [{ setupRequest: (req) => ({ ...req, headers: { authorization: `Bearer ${tokens[i++ % tokens.length]}` } }) }] });
await metrics('loaded');
child.kill('SIGTERM');
