import { performance } from 'node:perf_hooks';
import { openStore } from '../dist/store/db.js';
import * as repo from '../dist/store/analytics-repo.js';
import { sql } from 'kysely';
const cpu = () => process.cpuUsage().user/1000;
const store = await openStore(process.argv[2]);
const t = await store.db.selectFrom('tenants').select('id').where('environment','=','production').executeTakeFirst();
const NOW = Date.UTC(2026, 5, 30, 12), DAY=86400000;
const w = { tenantId: t.id, from: Date.UTC(2025,5,30), until: Date.UTC(2026,6,1), bucketMs: DAY };
for (const [name, f] of [['counts', () => repo.conversationCounts(store.db, w)], ['cvb', () => repo.countsPerBucket(store.db, 'conversations', w)], ['msgb', () => repo.countsPerBucket(store.db, 'messages', w)], ['median', () => repo.medianFirstResponseMs(store.db, w)]]) {
  await f(); const s = performance.now(), c0 = cpu(); for (let i=0;i<3;i++) await f(); console.log(name, 'wall', ((performance.now()-s)/3).toFixed(1), 'cpu', ((cpu()-c0)/3).toFixed(1));
}
const q = repo.countsPerBucket.toString();
const plan = await sql`explain query plan select (created_at - cast(${w.from} as bigint)) / cast(${DAY} as bigint) as bucket, count(*) from messages where tenant_id = ${t.id} and created_at >= ${w.from} and created_at < ${w.until} group by bucket`.execute(store.db);
console.log(plan.rows);
await store.close();
