/**
 * Migration 008 on data written the old way (every request counted in a minute
 * row and again in its day row, minute rows of old days pruned): afterwards each
 * request is counted once, in a minute row or, for what retention had pruned, in
 * its day row.
 */
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/db.js';
import { type UsageEvent, foldInto, rollUp, rollupRow, usageStatements } from '../../src/usage/writer.js';
import { type TestDatabase, suiteStore, testDatabases } from '../helpers/services.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const D0 = Date.UTC(2026, 2, 1);

describe.each(await testDatabases())('migration 008 (day rollups folded) on $name', (database: TestDatabase) => {
  const storeOf = suiteStore(database);

  it('keeps in day rows only what no minute row counts', async () => {
    // Three days, every 7 minutes, two keys, statuses and latencies cycling.
    const events: UsageEvent[] = Array.from({ length: 3 * 24 * 60 / 7 }, (_, i) => ({
      keyId: `key_m${i % 2}`, secretId: null, ts: D0 + i * 7 * MINUTE + (i % 5) * 1000, method: 'GET', route: 'GET /v1/me', requiredScopes: '',
      status: [200, 404, 429][i % 3]!, latencyMs: (i % 9) * 3.3, ip: null,
    }));
    // The old writer: minute and day rollups for every request; old retention then pruned day 0's morning minutes.
    const minutes = rollUp(events);
    const rows = [...minutes, ...foldInto('day', minutes)].map(rollupRow);
    for (let i = 0; i < rows.length; i += 200) await usageStatements.upsertRollups(storeOf().db, rows.slice(i, i + 200)).execute();
    await storeOf().db.deleteFrom('usage_rollups').where('period', '=', 'minute').where('bucket_start', '<', D0 + DAY / 2).execute();
    await storeOf().db.deleteFrom('kysely_migration' as never).where('name' as never, '=', '008-day-rollups-folded' as never).execute();

    await migrate(storeOf());

    const counted = await storeOf().db.selectFrom('usage_rollups').select(['key_id', 'period', 'bucket_start', 'status', 'count', 'latency_h0']).execute();
    for (let day = 0; day < 3; day++) {
      const inDay = (ts: number) => ts >= D0 + day * DAY && ts < D0 + (day + 1) * DAY;
      for (const status of [200, 404, 429]) {
        const expected = events.filter((e) => inDay(e.ts) && e.status === status).length;
        const got = counted.filter((r) => inDay(r.bucket_start) && r.status === status).reduce((n, r) => n + Number(r.count), 0);
        expect(got, `day ${day}, ${status}`).toBe(expected);
      }
    }
    const dayRows = counted.filter((r) => r.period === 'day');
    expect(new Set(dayRows.map((r) => r.bucket_start))).toEqual(new Set([D0]));
    const pruned = events.filter((e) => e.ts < D0 + DAY / 2);
    expect(dayRows.reduce((n, r) => n + Number(r.count), 0)).toBe(pruned.length);
    expect(dayRows.reduce((n, r) => n + Number(r.latency_h0), 0)).toBe(pruned.filter((e) => e.latencyMs <= 0.25).length);
  });
});
