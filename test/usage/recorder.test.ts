/**
 * Usage recording and queries against each database: batches, rollups that agree
 * with the raw rows, bounded memory, retries after a failed write, retention.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ManualClock } from '../../src/core/clock.js';
import { LATENCY_BUCKETS, latencyBucket, latencyQuantile } from '../../src/core/latency.js';
import { type Runtime, openRuntime } from '../../src/runtime.js';
import { OPERATOR } from '../../src/store/audit-repo.js';
import { LATENCY_COLUMNS } from '../../src/store/schema.js';
import { keyUsage } from '../../src/usage/queries.js';
import { UsageRecorder } from '../../src/usage/recorder.js';
import { HOUR_ROLLUP_DAYS, MINUTE_ROLLUP_DAYS, UsagePruner } from '../../src/usage/retention.js';
import { type UsageEvent, directWriter } from '../../src/usage/writer.js';
import { type TestDatabase, testDatabases } from '../helpers/services.js';
import { type EventFilter, readUsageEvents } from '../../src/usage/event-blocks.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const ROUTES = [
  ['GET /v1/me', ''],
  ['GET /v1/knowledge/articles', 'knowledge:read'],
  ['POST /v1/knowledge/articles', 'knowledge:write'],
] as const;

describe.each(await testDatabases())('usage recording on $name', (database: TestDatabase) => {
  let rt: Runtime;
  let drop: () => Promise<void>;
  const clock = new ManualClock(Date.UTC(2026, 4, 10, 12));
  let keyId: string;
  let secretId: string;

  beforeAll(async () => {
    const created = await database.create();
    drop = created.drop;
    rt = await openRuntime({ ...loadConfig({}), databaseUrl: created.url }, clock);
    const org = await rt.orgs.create(`Usage ${database.name}`);
    const key = await rt.keys.create({ orgId: org.org.id, environment: 'sandbox', name: 'u', scopes: ['knowledge:read', 'contacts:read', 'analytics:read'] }, OPERATOR);
    keyId = key.id;
    secretId = key.secrets[0]!.id;
  });
  afterAll(async () => {
    await rt.close();
    await drop();
  });

  const event = (ts: number, i: number, over: Partial<UsageEvent> = {}): UsageEvent => {
    const [route, requiredScopes] = ROUTES[i % ROUTES.length]!;
    return { keyId, secretId, ts, method: route.split(' ')[0]!, route, requiredScopes, status: [200, 200, 201, 404, 429, 503][i % 6]!, latencyMs: (i % 40) * 1.7, ip: '198.51.100.1', ...over };
  };
  const logged = (filter?: EventFilter) => readUsageEvents(rt.store.db, filter);

  it('writes in batches and keeps the minute rollups equal to the raw rows (day rollups come from folding)', async () => {
    const recorder = new UsageRecorder(directWriter(rt.store.db), { batchSize: 97 });
    const start = clock.now() - 2 * DAY;
    // Spread over three days and many minutes, in an order that is not time order.
    for (let i = 0; i < 1000; i++) recorder.record(event(start + ((i * 7919) % (2 * DAY)), i));
    await recorder.flush();
    expect(recorder.stats).toMatchObject({ recorded: 1000, written: 1000, dropped: 0, batches: 11, failedWrites: 0 });
    expect(recorder.pending).toBe(0);

    const raw = await logged({ keyId });
    expect(raw).toHaveLength(1000);
    // A block per written batch.
    expect(await rt.store.db.selectFrom('usage_event_blocks').select('count').orderBy('id').execute()).toEqual([...Array.from({ length: 10 }, () => ({ count: 97 })), { count: 30 }]);
    const days = await rt.store.db.selectFrom('usage_rollups').select('key_id').where('key_id', '=', keyId).where('period', '=', 'day').execute();
    expect(days).toEqual([]);
    for (const [period, size] of [['minute', MINUTE]] as const) {
      const expected = new Map<string, { count: number; hist: number[] }>();
      for (const e of raw) {
        const id = `${e.ts - (e.ts % size)} ${e.route} ${e.status}`;
        const entry = expected.get(id) ?? { count: 0, hist: new Array<number>(LATENCY_BUCKETS).fill(0) };
        entry.count++;
        entry.hist[latencyBucket(e.latencyMs)]!++;
        expected.set(id, entry);
      }
      const rows = await rt.store.db.selectFrom('usage_rollups').selectAll().where('key_id', '=', keyId).where('period', '=', period).execute();
      const actual = new Map(rows.map((r) => [`${r.bucket_start} ${r.route} ${r.status}`, { count: Number(r.count), hist: LATENCY_COLUMNS.map((c) => Number(r[c])) }]));
      expect(actual).toEqual(expected);
    }
    const me = await rt.store.db.selectFrom('usage_rollups').select('required_scopes').where('route', '=', 'POST /v1/knowledge/articles').executeTakeFirstOrThrow();
    expect(me.required_scopes).toBe('knowledge:write');
    const secret = await rt.store.db.selectFrom('api_key_last_use').select('last_used_at').where('secret_id', '=', secretId).executeTakeFirstOrThrow();
    // Exact to the minute: written at most once a minute per secret.
    const latest = Math.max(...raw.map((e) => e.ts));
    expect(secret.last_used_at).toBeLessThanOrEqual(latest);
    expect(secret.last_used_at).toBeGreaterThan(latest - 60_000);
  });

  it('keyUsage answers the SPEC 7 shape from the rollups: totals, status classes, 429s, routes, series, unused scopes', async () => {
    const usage = await keyUsage(rt.store.db, keyId, clock.now() - 3 * DAY, clock.now());
    expect(Object.keys(usage).slice(0, 8)).toEqual(['key_id', 'since', 'total', 'by_status', 'rate_limited', 'routes', 'series', 'unused_scopes']);
    expect(Object.keys(usage.by_status)).toEqual(['2xx', '3xx', '4xx', '5xx']);
    // Statuses cycle 200, 200, 201, 404, 429, 503 over 1000 events.
    expect(usage).toMatchObject({ key_id: keyId, since: new Date(clock.now() - 3 * DAY).toISOString(), total: 1000, by_status: { '2xx': 501, '3xx': 0, '4xx': 333, '5xx': 166 }, rate_limited: 166 });
    expect(usage.routes).toEqual([
      { route: 'GET /v1/me', count: 334 },
      { route: 'GET /v1/knowledge/articles', count: 333 },
      { route: 'POST /v1/knowledge/articles', count: 333 },
    ]);
    expect(usage.interval).toBe('hour');
    expect(usage.series).toHaveLength(3 * 24 + 1);
    expect(usage.series.reduce((a, p) => a + p.count, 0)).toBe(1000);
    expect(Object.keys(usage.series[0]!)).toEqual(['t', 'count', 'by_status', 'rate_limited']);
    expect(usage.series[0]!.t).toBe(new Date(clock.now() - 3 * DAY).toISOString());
    expect(usage.unused_scopes).toEqual(['analytics:read', 'contacts:read']);
    expect(usage.latency_ms.p50).toBeGreaterThan(0);
    expect(usage.latency_ms.p99!).toBeGreaterThanOrEqual(usage.latency_ms.p95!);
    expect(usage.secrets).toEqual([{ id: secretId, hint: expect.any(String), last_used_at: usage.last_used_at }]);
  });

  it('a window sees only its own requests, at minute resolution for short windows', async () => {
    const usage = await keyUsage(rt.store.db, keyId, clock.now() - 2 * 3_600_000, clock.now());
    const raw = await logged({ keyId, since: clock.now() - 2 * 3_600_000 });
    expect(usage.total).toBe(raw.length);
    expect(usage.interval).toBe('minute');
    expect(usage.series).toHaveLength(121);
    const quiet = await keyUsage(rt.store.db, keyId, clock.now() + 3 * DAY - 1000, clock.now() + 3 * DAY);
    expect(quiet).toMatchObject({ total: 0, routes: [], unused_scopes: ['analytics:read', 'contacts:read', 'knowledge:read'], latency_ms: { p50: null } });
  });

  it('windows longer than the minute rollups are kept are answered from the day rollups', async () => {
    const usage = await keyUsage(rt.store.db, keyId, clock.now() - 90 * DAY, clock.now());
    expect(usage).toMatchObject({ total: 1000, resolution: 'day', interval: 'day' });
    expect(usage.series).toHaveLength(91);
  });

  it('refuses a window in the future, too long a window and an unknown key', async () => {
    await expect(keyUsage(rt.store.db, keyId, clock.now() + 1, clock.now())).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(keyUsage(rt.store.db, keyId, clock.now() - 367 * DAY, clock.now())).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(keyUsage(rt.store.db, 'key_nope', clock.now() - DAY, clock.now())).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });

  it('when full it drops the oldest events and counts them', async () => {
    const recorder = new UsageRecorder(directWriter(rt.store.db), { capacity: 10 });
    const base = clock.now() + 10 * DAY;
    for (let i = 0; i < 15; i++) recorder.record(event(base + i, i));
    expect(recorder.stats).toMatchObject({ recorded: 15, dropped: 5 });
    expect(recorder.pending).toBe(10);
    await recorder.flush();
    const kept = await logged({ since: base });
    expect(kept.map((r) => r.ts - base)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(recorder.stats.written).toBe(10);
  });

  it('a failed write keeps its events for the next flush; nothing is written twice', async () => {
    const recorder = new UsageRecorder(directWriter(rt.store.db), { batchSize: 4 });
    const base = clock.now() + 20 * DAY;
    for (let i = 0; i < 10; i++) recorder.record(event(base + i, i));
    await sql`alter table usage_event_blocks rename to usage_event_blocks_away`.execute(rt.store.db);
    try {
      await recorder.flush();
    } finally {
      await sql`alter table usage_event_blocks_away rename to usage_event_blocks`.execute(rt.store.db);
    }
    expect(recorder.stats).toMatchObject({ failedWrites: 1, written: 0, dropped: 0 });
    expect(recorder.pending).toBe(10);
    await recorder.stop();
    expect(recorder.stats).toMatchObject({ written: 10, dropped: 0 });
    const rows = await logged({ since: base });
    expect(rows.map((r) => r.ts - base)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const rollup = await rt.store.db.selectFrom('usage_rollups').select((eb) => eb.fn.sum<number>('count').as('n')).where('period', '=', 'minute').where('bucket_start', '>=', base - (base % MINUTE)).executeTakeFirstOrThrow();
    expect(Number(rollup.n)).toBe(10);
  });

  it('prunes logged requests past the retention and folds minute rollups into hours, and hours into days, as they age', async () => {
    const now = clock.now() + 40 * DAY;
    // A batch per request, so each is a block of its own: a block goes when its last request is past the retention.
    const recorder = new UsageRecorder(directWriter(rt.store.db), { batchSize: 1 });
    const stamps = [now - 40 * DAY, now - 30 * DAY - 1, now - 30 * DAY + MINUTE, now - MINUTE];
    const before = (await logged()).length;
    for (const [i, ts] of stamps.entries()) recorder.record(event(ts, i, { route: 'GET /v1/prune', requiredScopes: '' }));
    await recorder.stop();
    const pruneClock = new ManualClock(now);
    const result = await new UsagePruner(rt.store.db, pruneClock, 30).runOnce();
    const left = (await logged()).filter((e) => e.route === 'GET /v1/prune');
    expect(left.map((r) => r.ts)).toEqual([now - 30 * DAY + MINUTE, now - MINUTE]);
    expect(result!.eventBlocks).toBeGreaterThanOrEqual(2);
    expect((await logged()).length).toBeLessThan(before + stamps.length);
    const rows = async (period: 'minute' | 'hour' | 'day') =>
      (await rt.store.db.selectFrom('usage_rollups').select(['bucket_start', 'count']).where('route', '=', 'GET /v1/prune').where('period', '=', period).orderBy('bucket_start').execute()).map((r) => [
        Number(r.bucket_start),
        Number(r.count),
      ]);
    // Within MINUTE_ROLLUP_DAYS: still a minute; within HOUR_ROLLUP_DAYS: its hour; older: its day.
    expect(await rows('minute')).toEqual([[stamps[3]! - (stamps[3]! % MINUTE), 1]]);
    expect((await rows('hour')).map(([t]) => t)).toEqual([...new Set([stamps[1]!, stamps[2]!].map((t) => t - (t % HOUR)))]);
    expect((await rows('hour')).reduce((n, [, c]) => n + c!, 0)).toBe(2);
    expect(await rows('day')).toEqual([[stamps[0]! - (stamps[0]! % DAY), 1]]);
    expect(stamps[3]! >= now - MINUTE_ROLLUP_DAYS * DAY && stamps[1]! >= now - HOUR_ROLLUP_DAYS * DAY).toBe(true);
    expect(result!.minuteRollups).toBeGreaterThanOrEqual(3);
    expect(result!.hourRollups).toBeGreaterThanOrEqual(1);
  });

  it('folding minutes into hours and hours into days changes no answer, and nodes folding at once count nothing twice', async () => {
    const base = clock.now() + 200 * DAY;
    const recorder = new UsageRecorder(directWriter(rt.store.db), { batchSize: 50 });
    // Three days of requests, a few minutes apart, several to a minute now and then.
    for (let i = 0; i < 600; i++) recorder.record(event(base + Math.floor(i / 3) * 17 * MINUTE + i, i, { route: 'GET /v1/fold', requiredScopes: '' }));
    await recorder.stop();
    const usage = (now: number, days: number) => keyUsage(rt.store.db, keyId, now - days * DAY, now);
    const rowsOf = async (period: 'minute' | 'hour') =>
      Number((await rt.store.db.selectFrom('usage_rollups').select((eb) => eb.fn.countAll().as('n')).where('route', '=', 'GET /v1/fold').where('period', '=', period).executeTakeFirstOrThrow()).n);
    const prune = (at: number) => new UsagePruner(rt.store.db, new ManualClock(at), 366).runOnce();
    const pruneTogether = async (at: number) => expect((await Promise.all([prune(at), prune(at), prune(at)])).every((r) => r !== null)).toBe(true);

    // Ten days on, the minutes become hours: a 20-day window reads hours, a 60-day one days.
    const hoursAt = base + 10 * DAY;
    const twentyDays = await usage(hoursAt, 20);
    const sixtyDays = await usage(hoursAt, 60);
    expect(twentyDays).toMatchObject({ total: 600, resolution: 'hour', interval: 'day' });
    expect(sixtyDays).toMatchObject({ total: 600, resolution: 'day' });
    const minutes = await rt.store.db.selectFrom('usage_rollups').select(['bucket_start', 'status']).where('route', '=', 'GET /v1/fold').where('period', '=', 'minute').execute();
    expect(minutes.length).toBeGreaterThan(200);
    await pruneTogether(hoursAt);
    expect(await rowsOf('minute')).toBe(0);
    // One row per hour and status of those minutes.
    const hours = new Set(minutes.map((m) => `${Number(m.bucket_start) - (Number(m.bucket_start) % HOUR)} ${m.status}`));
    expect(hours.size).toBeLessThan(minutes.length);
    expect(await rowsOf('hour')).toBe(hours.size);
    expect(await usage(hoursAt, 20)).toEqual(twentyDays);
    expect(await usage(hoursAt, 60)).toEqual(sixtyDays);

    // Forty days on, the hours become days.
    const daysAt = base + 40 * DAY;
    const before = await usage(daysAt, 60);
    expect(before).toMatchObject({ total: 600, resolution: 'day' });
    await pruneTogether(daysAt);
    expect(await rowsOf('hour')).toBe(0);
    const after = await usage(daysAt, 60);
    expect(after).toEqual(before);
    expect(after.series.filter((p) => p.count > 0)).toHaveLength(3);
  });

  it('counts a window from the minute, hour or day holding its start, by how far back it reaches', async () => {
    const base = clock.now() + 300 * DAY;
    const recorder = new UsageRecorder(directWriter(rt.store.db), { batchSize: 10 });
    // 40 minutes before the window starts, in the same hour; and one request inside it.
    const since = base - (base % HOUR) + 50 * MINUTE;
    recorder.record(event(since - 40 * MINUTE, 0, { route: 'GET /v1/edge' }));
    recorder.record(event(since + MINUTE, 0, { route: 'GET /v1/edge' }));
    await recorder.stop();
    const total = async (now: number) => (await keyUsage(rt.store.db, keyId, since, now)).total;
    // A day-long window: the minute holding `since`; a week-long one: its hour.
    expect(await keyUsage(rt.store.db, keyId, since, since + DAY)).toMatchObject({ resolution: 'minute', total: 1 });
    expect(await keyUsage(rt.store.db, keyId, since, since + 7 * DAY)).toMatchObject({ resolution: 'hour', total: 2 });
    expect(await total(since + 40 * DAY)).toBe(2);
  });
});

describe('latency percentiles', () => {
  it('interpolate inside the bucket holding the rank', () => {
    const counts = new Array<number>(LATENCY_BUCKETS).fill(0);
    counts[latencyBucket(3)] = 100; // (2.5, 5]
    expect(latencyQuantile(counts, 0.5)).toBe(3.75);
    expect(latencyQuantile(counts, 1)).toBe(5);
    counts[LATENCY_BUCKETS - 1] = 1000;
    expect(latencyQuantile(counts, 0.99)).toBe(5000);
    expect(latencyQuantile(new Array<number>(LATENCY_BUCKETS).fill(0), 0.5)).toBeNull();
    expect(LATENCY_COLUMNS).toHaveLength(LATENCY_BUCKETS);
  });
});
