import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, openSqlite } from '/work/main/dist/store/db.js';
import { preparedUsageWriter } from '/work/main/dist/usage/sqlite-batch.js';
const variant = process.argv[2] ?? 'file';
const dir = mkdtempSync(join(tmpdir(), 'w-'));
const path = variant === 'memory' ? ':memory:' : join(dir, 'db.sqlite');
let sqlite;
const s0 = await openStore(path === ':memory:' ? join(dir,'m.sqlite') : path); await s0.close(); sqlite = openSqlite(path === ':memory:' ? join(dir,'m.sqlite') : path); if (path === ':memory:') sqlite.pragma('synchronous = OFF');
if (!sqlite) { console.log('no sqlite handle'); process.exit(1); }
if (variant === 'noindex') sqlite.exec('drop index usage_events_ts');
const write = preparedUsageWriter(sqlite);
const N = 200_000, B = 1000;
const keys = Number(process.env.KEYS ?? 1);
const ev = (i) => ({ keyId: `key_b${i % keys}`, secretId: `sec_b${i % keys}`, ts: 1767225600000 + i * 5, method: 'GET', route: 'GET /v1/me', requiredScopes: '', status: 200, latencyMs: (i % 97) / 10, ip: '198.51.100.1' });
let batch = [];
const c0 = process.cpuUsage(); const t0 = performance.now();
for (let i = 0; i < N; i++) { batch.push(ev(i)); if (batch.length === B) { write(batch); batch = []; } }
const c = process.cpuUsage(c0); const t = performance.now() - t0;
console.log(variant, 'keys', keys, 'µs/event wall', (t * 1000 / N).toFixed(2), 'cpu user', (c.user / N).toFixed(2), 'sys', (c.system / N).toFixed(2));
