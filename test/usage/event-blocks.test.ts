/**
 * The request log's blocks: every field of every event comes back as it was
 * logged (latency to the microsecond), blocks never exceed EVENTS_PER_BLOCK,
 * both writers (Kysely and the SQLite fast path) store the same blocks, and a
 * block of an unknown format is refused rather than misread.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Store, openStore } from '../../src/store/db.js';
import { EVENTS_PER_BLOCK, type LoggedEvent, blockEvents, eventBlock, readUsageEvents } from '../../src/usage/event-blocks.js';
import { preparedUsageWriter } from '../../src/usage/sqlite-batch.js';
import { type UsageEvent, insertEventBlocks, writeUsageBatch } from '../../src/usage/writer.js';

const T0 = Date.UTC(2026, 10, 27, 4);

const event = (i: number): UsageEvent => ({
  keyId: `key_${i % 3}`,
  secretId: i % 5 === 0 ? null : `sec_${i % 3}`,
  // Not in time order: a block spans from its earliest to its latest request.
  ts: T0 + ((i * 7919) % 5000),
  method: i % 2 ? 'POST' : 'GET',
  route: i % 2 ? 'POST /v1/contacts' : 'GET /v1/me',
  requiredScopes: i % 2 ? 'contacts:write' : '',
  status: [200, 201, 401, 429][i % 4]!,
  latencyMs: 0.0005 + i * 1.2345678,
  ip: i % 7 === 0 ? null : `198.51.100.${i % 4}`,
});
const logged = ({ requiredScopes: _, ...e }: UsageEvent): LoggedEvent => ({ ...e, latencyMs: Math.round(e.latencyMs * 1000) / 1000 });

describe('event blocks', () => {
  it('give back every event as logged, strings once per block, latency to the microsecond', () => {
    const events = Array.from({ length: 300 }, (_, i) => event(i));
    const row = eventBlock(events);
    expect(row).toMatchObject({ count: 300, first_ts: Math.min(...events.map((e) => e.ts)), last_ts: Math.max(...events.map((e) => e.ts)) });
    expect(blockEvents(row)).toEqual(events.map(logged));
    const json = JSON.parse(row.events) as { v: number; strings: string[]; events: number[] };
    expect(json.v).toBe(1);
    expect(json.strings.filter((s) => s === 'key_1')).toHaveLength(1);
    expect(json.events).toHaveLength(300 * 8);
    // About 30 bytes a request here, where a row each took 114 on disk.
    expect(row.events.length / 300).toBeLessThan(40);
  });

  it('a block is 1 to EVENTS_PER_BLOCK events', () => {
    expect(() => eventBlock([])).toThrow(RangeError);
    expect(() => eventBlock(Array.from({ length: EVENTS_PER_BLOCK + 1 }, (_, i) => event(i)))).toThrow(/not 1001/);
  });

  it('refuses a block of a format this version does not know', () => {
    const row = eventBlock([event(1)]);
    expect(() => blockEvents({ ...row, events: row.events.replace('"v":1', '"v":2') })).toThrow(/format 2/);
  });

  describe('stored', () => {
    let dir: string;
    let store: Store;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'atender-blocks-'));
      store = await openStore(join(dir, 'a.db'));
    });
    afterAll(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('are at most EVENTS_PER_BLOCK requests; both writers store the same blocks; reads filter by key and time', async () => {
      const events = Array.from({ length: 2 * EVENTS_PER_BLOCK + 500 }, (_, i) => event(i));
      await writeUsageBatch(store.db, events);
      const viaKysely = await store.db.selectFrom('usage_event_blocks').select(['first_ts', 'last_ts', 'count', 'events']).orderBy('id').execute();
      expect(viaKysely.map((b) => b.count)).toEqual([EVENTS_PER_BLOCK, EVENTS_PER_BLOCK, 500]);
      await store.db.deleteFrom('usage_event_blocks').execute();

      const sqlite = new Database(join(dir, 'a.db'));
      preparedUsageWriter(sqlite)(events);
      sqlite.close();
      const viaPrepared = await store.db.selectFrom('usage_event_blocks').select(['first_ts', 'last_ts', 'count', 'events']).orderBy('id').execute();
      expect(viaPrepared).toEqual(viaKysely);

      expect(await readUsageEvents(store.db)).toEqual(events.map(logged));
      expect(await readUsageEvents(store.db, { keyId: 'key_2' })).toEqual(events.filter((e) => e.keyId === 'key_2').map(logged));
      const since = T0 + 4000;
      expect(await readUsageEvents(store.db, { keyId: 'key_1', since })).toEqual(events.filter((e) => e.keyId === 'key_1' && e.ts >= since).map(logged));
      // Still JSON for SQL.
      const { n } = await store.db
        .selectFrom('usage_event_blocks')
        .select((eb) => eb.fn.sum<number>(eb.fn('json_array_length', [eb.fn('json_extract', ['events', eb.val('$.events')])])).as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(n)).toBe(events.length * 8);
    });

    it('an empty batch writes no block', async () => {
      await store.db.deleteFrom('usage_event_blocks').execute();
      await insertEventBlocks(store.db, []);
      expect(await store.db.selectFrom('usage_event_blocks').selectAll().execute()).toEqual([]);
    });
  });
});
