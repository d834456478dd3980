import { copyFileSync } from 'node:fs';
import { openSqlite } from '../dist/store/db.js';
import { rollUp, lastUseBySecret } from '../dist/usage/writer.js';
import { LATENCY_COLUMNS } from '../dist/store/schema.js';
const dir = '/tmp/k1m';
copyFileSync(process.env.SRC ?? `${dir}/keys-1M.db`, `${dir}/work.db`);
const sqlite = openSqlite(`${dir}/work.db`);
if (process.env.WR) {
  const ddl = sqlite.prepare("select sql from sqlite_master where name = 'usage_rollups'").get().sql;
  sqlite.exec('drop index if exists usage_rollups_prune; alter table usage_rollups rename to old_rollups');
  let nd = ddl.replace('"usage_rollups"', '"usage_rollups"').replace(/\)\s*$/, ') without rowid');
  if (process.env.WR === 'time') nd = nd.replace(/primary key \(([^)]*)\)/i, 'primary key ("period", "bucket_start", "key_id", "route", "status")');
  console.log(nd.slice(-160));
  sqlite.exec(nd);
  sqlite.exec('drop table old_rollups');
}
if (process.env.CACHE) sqlite.pragma(`cache_size = -${process.env.CACHE}`);
const ids = sqlite.prepare('select key_id, id from api_key_secrets where rowid % 10 = 0 limit 100000').all();
const B = Number(process.env.B ?? 1000), N = Number(process.env.N ?? 50_000);
const touch = sqlite.prepare('update api_key_secrets set last_used_at = ? where id = ? and (last_used_at is null or last_used_at < ?)');
const cols = ['key_id','period','bucket_start','route','status','required_scopes','count','latency_ms_sum',...LATENCY_COLUMNS];
const up = sqlite.prepare(`insert into usage_rollups (${cols.join(',')}) values (${cols.map(() => '?').join(',')}) on conflict (${process.env.WR === 'time' ? 'period, bucket_start, key_id, route, status' : 'key_id, period, bucket_start, route, status'}) do update set count = count + excluded.count, latency_ms_sum = latency_ms_sum + excluded.latency_ms_sum`);
const ins = sqlite.prepare('insert into usage_events (key_id, secret_id, ts, method, route, status, latency_ms, ip) values (?,?,?,?,?,?,?,?)');
const parts = { raw: 0, rollups: 0, touch: 0, commit: 0 };
let t = Date.UTC(2026, 10, 26, 12);
const cpu = () => { const c = process.cpuUsage(); return c.user + c.system; };
for (let b = 0; b < N / B; b++) {
  const batch = [];
  for (let i = 0; i < B; i++) { const k = ids[((b * B + i) * 7919) % ids.length]; t += 0.3; batch.push({ keyId: k.key_id, secretId: k.id, ts: Math.floor(t), method: 'GET', route: 'GET /v1/me', requiredScopes: 'knowledge:read', status: 200, latencyMs: 0.5, ip: '127.0.0.1' }); }
  sqlite.exec('begin immediate');
  let c = cpu();
  for (const e of batch) ins.run(e.keyId, e.secretId, e.ts, e.method, e.route, e.status, e.latencyMs, e.ip);
  let c2 = cpu(); parts.raw += c2 - c; c = c2;
  for (const r of rollUp(batch)) up.run(cols.map((k) => r[k]));
  c2 = cpu(); parts.rollups += c2 - c; c = c2;
  if (!process.env.NOTOUCH) for (const [s, ts] of lastUseBySecret(batch)) touch.run(ts, s, ts);
  c2 = cpu(); parts.touch += c2 - c; c = c2;
  sqlite.exec('commit');
  c2 = cpu(); parts.commit += c2 - c;
}
console.log('B', B, Object.entries(parts).map(([k, v]) => `${k} ${(v / N).toFixed(1)}`).join('  '), 'µs/event');
