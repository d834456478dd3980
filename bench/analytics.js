#!/usr/bin/env node
/**
 * Measures GET /v1/analytics/conversations on a generated tenant of 1,000,000
 * messages (SPEC section 6, issue 3).
 *
 *   npm run build && node bench/analytics.js                      # SQLite in a temp file
 *   node bench/analytics.js postgres://postgres@127.0.0.1:5432/db  # an EMPTY PostgreSQL database
 *   MESSAGES=200000 node bench/analytics.js                        # smaller
 *
 * Data: one org; its production tenant gets MESSAGES messages spread over
 * 100,000 conversations (10 per conversation on average) of 20,000 contacts,
 * created uniformly over the 365 days before "now"; 80% of conversations got an
 * agent reply (first_response_ms 1 s - 2 h). The sandbox tenant gets 10% as much
 * noise, which must not be counted. Rows are bulk-inserted with Kysely (the
 * same schema and migrations as the server) and the daily counters, which the
 * API keeps in step write by write, are recounted once from the rows. Then the
 * analytics service the route calls is timed: 366 days by day and by week, and
 * 30 days by day. Wall time suffers from other load on the machine; on SQLite
 * the query runs in this process, so its CPU time is reported as well.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { newId } from '../dist/core/ids.js';
import { AnalyticsService } from '../dist/services/analytics.js';
import { OrgService } from '../dist/services/orgs.js';
import { rebuildDailyCounts } from '../dist/store/analytics-repo.js';
import { openStore } from '../dist/store/db.js';

const MESSAGES = Number(process.env.MESSAGES ?? 1_000_000);
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 30, 12);
const CHANNELS = ['api', 'email', 'chat', 'phone'];
const STATUSES = ['open', 'open', 'snoozed', 'closed', 'closed', 'closed'];

// Deterministic, so runs are comparable.
let seed = 42;
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (xs) => xs[Math.floor(random() * xs.length)];

async function insertBatches(db, table, rows, batch) {
  for (let i = 0; i < rows.length; i += batch) await db.insertInto(table).values(rows.slice(i, i + batch)).execute();
}

/** Contacts, conversations and messages for one tenant; returns how many messages were written. */
async function generateTenant(db, tenantId, messages, dialect) {
  const conversations = Math.max(1, Math.round(messages / 10));
  const contacts = Math.max(1, Math.round(conversations / 5));
  const contactIds = [];
  const batch = dialect === 'sqlite' ? 400 : 1000;
  await db.transaction().execute(async (tx) => {
    const rows = [];
    for (let i = 0; i < contacts; i++) {
      const at = NOW - 366 * DAY;
      const id = newId('ct', at);
      contactIds.push(id);
      rows.push({ id, tenant_id: tenantId, email: `c${i}@${tenantId}.example`, name: `Contact ${i}`, phone: null, external_id: null, attributes: '{}', created_at: at, updated_at: at });
    }
    await insertBatches(tx, 'contacts', rows, batch);
  });
  let written = 0;
  const perConversation = messages / conversations;
  const chunk = 10_000;
  for (let start = 0; start < conversations; start += chunk) {
    const cvRows = [];
    const msgRows = [];
    for (let i = start; i < Math.min(conversations, start + chunk); i++) {
      const createdAt = NOW - Math.floor(random() * 365 * DAY);
      const id = newId('cv', createdAt);
      const replied = random() < 0.8;
      const firstResponse = replied ? 1000 + Math.floor(random() * 2 * 3600 * 1000) : null;
      cvRows.push({ id, tenant_id: tenantId, contact_id: pick(contactIds), channel: pick(CHANNELS), subject: null, status: pick(STATUSES), created_at: createdAt, updated_at: createdAt, first_response_ms: firstResponse });
      const count = i === conversations - 1 ? messages - written : Math.max(1, Math.round(perConversation * (0.5 + random())));
      for (let m = 0; m < count && written < messages; m++, written++) {
        const at = createdAt + m * 10 * 60 * 1000;
        const type = m === 0 ? 'contact' : pick(['contact', 'agent', 'bot']);
        msgRows.push({ id: newId('msg', at), tenant_id: tenantId, conversation_id: id, author_type: type, author_id: null, body: 'Hello, I have a question about my order.', created_at: at });
      }
    }
    await db.transaction().execute(async (tx) => {
      await insertBatches(tx, 'conversations', cvRows, batch);
      await insertBatches(tx, 'messages', msgRows, batch);
    });
  }
  return written;
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { min: sorted[0].toFixed(1), median: sorted[Math.floor(sorted.length / 2)].toFixed(1), max: sorted.at(-1).toFixed(1) };
}

async function main() {
  const target = process.argv[2];
  const dir = target ? null : mkdtempSync(join(tmpdir(), 'atender-bench-'));
  const url = target ?? join(dir, 'bench.sqlite');
  const store = await openStore(url);
  try {
    const clock = { now: () => NOW };
    const org = await new OrgService(store, clock).create(`Bench ${Date.now()}`);
    const production = org.tenants.production.id;
    let t0 = performance.now();
    const written = await generateTenant(store.db, production, MESSAGES, store.dialect);
    await generateTenant(store.db, org.tenants.sandbox.id, Math.round(MESSAGES / 10), store.dialect);
    for (const tenantId of [production, org.tenants.sandbox.id]) await rebuildDailyCounts(store.db, tenantId);
    const loadSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();
    if (store.dialect === 'postgres') await sql`vacuum analyze`.execute(store.db);
    else await sql`analyze`.execute(store.db);
    const load = (await import('node:os')).loadavg()[0].toFixed(1);
    console.log(`${store.dialect}: load average ${load} on ${(await import('node:os')).cpus().length} cores; generated ${written.toLocaleString()} messages in the measured tenant (+10% noise in the other) in ${loadSeconds.toFixed(1)} s; analyze ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const analytics = new AnalyticsService(store, clock);
    const cases = [
      { from: '2025-06-30', to: '2026-06-30', interval: 'day' },
      { from: '2025-06-30', to: '2026-06-30', interval: 'week' },
      { from: '2026-06-01', to: '2026-06-30', interval: 'day' },
    ];
    for (const query of cases) {
      const samples = [];
      const cpu = [];
      let answer;
      for (let i = 0; i < 11; i++) {
        const start = performance.now();
        const cpuStart = process.cpuUsage();
        answer = await analytics.conversations(production, query);
        samples.push(performance.now() - start);
        const used = process.cpuUsage(cpuStart);
        cpu.push((used.user + used.system) / 1000);
      }
      // The first run warms the page cache.
      const s = stats(samples.slice(1));
      const c = stats(cpu.slice(1));
      const cpuNote = store.dialect === 'sqlite' ? `, CPU median ${c.median} ms` : '';
      console.log(`  ${query.from}..${query.to} by ${query.interval}: wall median ${s.median} ms (min ${s.min}, max ${s.max}; 10 runs after 1 warm-up)${cpuNote} -> ${answer.totals.conversations} conversations, ${answer.totals.messages} messages, median first response ${answer.median_first_response_seconds} s, ${answer.series.length} buckets`);
    }
  } finally {
    await store.close();
    if (dir && !process.env.KEEP) rmSync(dir, { recursive: true, force: true });
    else if (dir) console.log(`kept ${url}`);
  }
}

await main();
