import { existsSync, mkdirSync, copyFileSync } from 'node:fs';
import { prepareKeyedDatabase, insertManyKeys } from './setup.js';
import { openSqlite } from '../dist/store/db.js';
import { preparedUsageWriter } from '../dist/usage/sqlite-batch.js';
const dir = '/tmp/k1m'; mkdirSync(dir, { recursive: true });
const master = `${dir}/keys-1M.db`;
if (!existsSync(`${dir}/ready`)) { const db = await prepareKeyedDatabase(dir, 'keys-1M'); insertManyKeys(db, 1_000_000, 100_000, `${dir}/tokens.txt`); (await import('node:fs')).writeFileSync(`${dir}/ready`, ''); }
const work = `${dir}/work.db`;
copyFileSync(master, work);
const sqlite = openSqlite(work);
const ids = sqlite.prepare('select key_id, id from api_key_secrets where rowid % 10 = 0 limit 100000').all();
const write = preparedUsageWriter(sqlite);
const B = Number(process.env.B ?? 1000), N = Number(process.env.N ?? 100_000);
let t = Date.UTC(2026, 10, 26, 12);
const c0 = process.cpuUsage(); const w0 = performance.now();
let batch = [];
for (let i = 0; i < N; i++) {
  const k = ids[(i * 7919) % ids.length];
  t += 0.3;
  batch.push({ keyId: k.key_id, secretId: k.id, ts: Math.floor(t), method: 'GET', route: 'GET /v1/me', requiredScopes: 'knowledge:read', status: 200, latencyMs: 0.5, ip: '127.0.0.1' });
  if (batch.length === B) { write(batch); batch = []; }
}
const c = process.cpuUsage(c0);
console.log('B', B, 'cpu µs/event', ((c.user + c.system) / N).toFixed(1), 'user', (c.user / N).toFixed(1), 'sys', (c.system / N).toFixed(1), 'wall', ((performance.now() - w0) * 1000 / N).toFixed(1));
