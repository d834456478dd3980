/** The SQLite usage writer thread (compiled: `npm run build` first). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Store, openSqlite, openStore, sqlitePath } from '../../src/store/db.js';
import { preparedUsageWriter } from '../../src/usage/sqlite-batch.js';
import { UsageRecorder } from '../../src/usage/recorder.js';
import { REQUEST_THREAD_BATCH, REQUEST_THREAD_HOLD_MS, WorkerBatchWriter, requestThreadWriter, usageWorkerScript, usageWriterFor } from '../../src/usage/worker-writer.js';
import { type UsageEvent, writeUsageBatch } from '../../src/usage/writer.js';
import { readUsageEvents } from '../../src/usage/event-blocks.js';

const event = (i: number): UsageEvent => ({ keyId: 'key_w', secretId: null, ts: Date.UTC(2026, 0, 1) + i * 1000, method: 'GET', route: 'GET /v1/me', requiredScopes: '', status: 200, latencyMs: 1, ip: null });

const rollupSeed = {
  key_id: 'key_p0', period: 'day' as const, bucket_start: Date.UTC(2026, 1, 1), route: 'GET /v1/contacts', status: 201, required_scopes: 'contacts:read', count: 5, latency_ms_sum: 10,
  latency_h0: 0, latency_h1: 0, latency_h2: 0, latency_h3: 5, latency_h4: 0, latency_h5: 0, latency_h6: 0, latency_h7: 0, latency_h8: 0, latency_h9: 0, latency_h10: 0, latency_h11: 0, latency_h12: 0, latency_h13: 0, latency_h14: 0,
};

describe('usage writer thread', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atender-worker-'));
  const url = join(dir, 'w.db');
  let store: Store;
  beforeAll(async () => {
    store = await openStore(url);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = async (route: string) => (await readUsageEvents(store.db)).filter((e) => e.route === route).length;

  it('serves SQLite files; writes batches with their rollups from another thread', async () => {
    const writer = usageWriterFor(store, url, 2);
    expect(writer).toBeInstanceOf(WorkerBatchWriter);
    expect(usageWriterFor(store, ':memory:')).not.toBeInstanceOf(WorkerBatchWriter);
    const recorder = new UsageRecorder(writer, { batchSize: 250 });
    for (let i = 0; i < 1000; i++) recorder.record(event(i));
    await recorder.stop();
    expect(recorder.stats).toMatchObject({ written: 1000, batches: 4, dropped: 0 });
    expect(await count('GET /v1/me')).toBe(1000);
    const minutes = await store.db.selectFrom('usage_rollups').select((eb) => eb.fn.sum<number>('count').as('n')).where('period', '=', 'minute').where('key_id', '=', 'key_w').executeTakeFirstOrThrow();
    expect(Number(minutes.n)).toBe(1000);
  });

  it('a thread that cannot start fails its batch, which is kept and then written on this thread', async () => {
    const broken = new WorkerBatchWriter(new URL('file:///nonexistent/write-worker.js'), url, store.db);
    const recorder = new UsageRecorder(broken);
    for (let i = 0; i < 5; i++) recorder.record({ ...event(i), route: 'GET /v1/fallback' });
    await recorder.flush();
    expect(recorder.stats).toMatchObject({ failedWrites: 1, written: 0 });
    expect(recorder.pending).toBe(5);
    await recorder.stop();
    expect(recorder.stats).toMatchObject({ written: 5, dropped: 0 });
    expect(await count('GET /v1/fallback')).toBe(5);
  });

  it('its prepared statements write exactly what the Kysely path writes', async () => {
    const other = await openStore(join(dir, 'kysely.db'));
    try {
      const batch = Array.from({ length: 700 }, (_, i): UsageEvent => ({
        keyId: `key_p${i % 3}`,
        secretId: i % 5 === 0 ? null : `sec_p${i % 4}`,
        ts: Date.UTC(2026, 1, 1, 23, 58) + i * 997,
        method: i % 2 ? 'GET' : 'POST',
        route: i % 2 ? 'GET /v1/contacts' : 'POST /v1/contacts',
        requiredScopes: i % 2 ? 'contacts:read' : 'contacts:write',
        status: [200, 201, 404, 429][i % 4]!,
        latencyMs: (i % 50) * 0.37,
        ip: i % 7 ? '2001:db8::1' : null,
      }));
      // Keys seen once (their day and minute rollups share one statement), and one seen twice in a minute in two latency buckets.
      const once = (i: number, latencyMs: number): UsageEvent => ({ ...batch[i]!, keyId: `key_p_once${i}`, latencyMs });
      batch.push(...Array.from({ length: 40 }, (_, i) => once(i, i * 13.7)), once(41, 0.1), once(41, 900));
      const heldStore = await openStore(join(dir, 'held.db'));
      for (const s of [store, other, heldStore]) {
        await s.db.insertInto('usage_rollups').values({ ...rollupSeed }).execute(); // an existing row that the batch adds to
        // A minute row another writer made, met by a batch that mostly inserts: it must still be added to.
        await s.db.insertInto('usage_rollups').values({ ...rollupSeed, period: 'minute', bucket_start: Date.UTC(2026, 1, 1, 23, 58), status: 429 }).execute();
        await s.db.insertInto('api_key_last_use').values({ secret_id: 'sec_p1', last_used_at: Date.UTC(2026, 1, 3) }).execute(); // later than the batch
      }
      const sqlite = openSqlite(sqlitePath(url));
      // In three batches: the first two mostly write new rows (the batch goes on with upserts), the third only
      // adds to rows already there (it goes on with updates).
      const again = batch.slice(300, 400).map((e) => ({ ...e, latencyMs: e.latencyMs + 1 }));
      const write = preparedUsageWriter(sqlite);
      write(batch.slice(0, 350));
      write(batch.slice(350));
      write(again);
      sqlite.close();
      await writeUsageBatch(other.db, batch);
      await writeUsageBatch(other.db, again);
      const dump = async (s: Store) => ({
        events: (await readUsageEvents(s.db)).filter((e) => e.keyId.startsWith('key_p')),
        rollups: await s.db.selectFrom('usage_rollups').selectAll().where('key_id', 'like', 'key_p%').orderBy(['key_id', 'period', 'bucket_start', 'route', 'status']).execute(),
        lastUse: await s.db.selectFrom('api_key_last_use').selectAll().where('secret_id', 'like', 'sec_p%').orderBy('secret_id').execute(),
      });
      // Held across batches (the single-core writer): nothing is added to a rollup until the drain, then the same rows.
      const heldSqlite = openSqlite(sqlitePath(join(dir, 'held.db')));
      const writeHeld = preparedUsageWriter(heldSqlite, { holdMs: 60_000 });
      writeHeld(batch.slice(0, 350), 0);
      writeHeld(batch.slice(350), 1);
      writeHeld(again, 2);
      const beforeDrain = await dump(heldStore);
      writeHeld.drainHeld(false, 3); // batches still arriving: a drain without `all` leaves them to the batches
      expect(writeHeld.held).toBeGreaterThan(10);
      writeHeld.drainHeld(true, 4);
      expect(writeHeld.held).toBe(0);
      heldSqlite.close();
      const [prepared, kysely, held] = [await dump(store), await dump(other), await dump(heldStore)];
      await heldStore.close();
      expect(beforeDrain.events).toEqual(kysely.events);
      expect(beforeDrain.rollups).toHaveLength(2); // the two seeded rows, as they were
      // Latency sums added in another order differ in the last bits of a double.
      const rounded = (d: typeof held) => ({ ...d, rollups: d.rollups.map((r) => ({ ...r, latency_ms_sum: Number(Number(r.latency_ms_sum).toFixed(6)) })) });
      expect(rounded(held)).toEqual(rounded(kysely));
      expect(prepared.events).toHaveLength(842);
      expect(prepared.rollups.length).toBeGreaterThan(10);
      expect(prepared).toEqual(kysely);
      expect(prepared.lastUse.map((r) => r.secret_id)).toEqual(['sec_p0', 'sec_p1', 'sec_p2', 'sec_p3']);
      expect(Number(prepared.lastUse.find((r) => r.secret_id === 'sec_p1')!.last_used_at)).toBe(Date.UTC(2026, 1, 3)); // never lowered
      const seeded = prepared.rollups.find((r) => r.period === 'minute' && r.key_id === 'key_p0' && r.route === rollupSeed.route && r.status === 429 && r.bucket_start === Date.UTC(2026, 1, 1, 23, 58))!;
      const seededFromBatch = [...batch, ...again].filter((e) => e.keyId === 'key_p0' && e.route === rollupSeed.route && e.status === 429 && e.ts < Date.UTC(2026, 1, 1, 23, 59)).length;
      expect(seededFromBatch).toBeGreaterThan(0);
      expect(Number(seeded.count)).toBe(rollupSeed.count + seededFromBatch);
      const day = prepared.rollups.find((r) => r.period === 'day' && r.route === rollupSeed.route && r.status === 201 && r.key_id === 'key_p0')!;
      expect(Number(day.count)).toBe(5); // day rollups are folded from minutes later, not written here
      const minutes = prepared.rollups.filter((r) => r.period === 'minute' && r.route === rollupSeed.route && r.status === 201 && r.key_id === 'key_p0');
      const fromBatch = [...batch, ...again].filter((e) => e.keyId === 'key_p0' && e.route === rollupSeed.route && e.status === 201).length;
      expect(minutes.reduce((n, r) => n + Number(r.count), 0)).toBe(fromBatch);
    } finally {
      await other.close();
    }
  });

  it('the held writer adds to a row by the rowid it wrote it under, and never to another row that took that rowid since', async () => {
    const file = join(dir, 'rowid.db');
    await (await openStore(file)).close();
    const sqlite = openSqlite(file);
    const write = preparedUsageWriter(sqlite, { holdMs: 1_000 });
    const at = (i: number) => ({ ...event(i), keyId: 'key_r' });
    const countOf = (keyId: string) => sqlite.prepare('select rowid, count from usage_rollups where key_id = ?').raw().all(keyId) as [number, number][];
    const writeAndDrain = (events: UsageEvent[], now: number) => {
      write(events, now);
      while (write.drainHeld(true, now + 1));
    };
    writeAndDrain([at(0), at(1)], 0);
    const [[rowid]] = countOf('key_r') as [[number, number]];
    writeAndDrain([at(2)], 10);
    expect(countOf('key_r')).toEqual([[rowid, 3]]);
    // Retention deletes the row, and another row takes its rowid.
    sqlite.prepare('delete from usage_rollups where key_id = ?').run('key_r');
    sqlite
      .prepare("insert into usage_rollups (rowid, key_id, period, bucket_start, route, status, required_scopes, count, latency_ms_sum) values (?, 'key_other', 'minute', ?, 'GET /v1/me', 200, '', 7, 7)")
      .run(rowid, at(0).ts - (at(0).ts % 60_000));
    writeAndDrain([at(3)], 20);
    writeAndDrain([at(4)], 30);
    expect(countOf('key_other')).toEqual([[rowid, 7]]);
    expect(countOf('key_r').map(([, count]) => count)).toEqual([2]);
    sqlite.close();
  });

  it.each([
    ['a writer thread', 2],
    ['the request thread (rollups held)', 1],
  ])('a process with nothing else to do stays alive until its last batch is written, with %s', (_, cores) => {
    const dist = new URL('../../dist/', import.meta.url).href;
    const target = join(dir, `alone-${cores}.db`);
    const script = `
      import { openStore } from '${dist}store/db.js';
      import { UsageRecorder } from '${dist}usage/recorder.js';
      import { usageWriterFor } from '${dist}usage/worker-writer.js';
      let store = await openStore(${JSON.stringify(target)});
      // The request thread's writer needs no store (the thread's falls back to it): closed, it keeps nothing alive.
      if (${cores} === 1) await store.close();
      const recorder = new UsageRecorder(usageWriterFor(store, ${JSON.stringify(target)}, ${cores}));
      for (let i = 0; i < 20000; i++) recorder.record({ keyId: 'key_alone' + (i % 3000), secretId: null, ts: i, method: 'GET', route: 'GET /v1/me', requiredScopes: '', status: 200, latencyMs: 1, ip: null });
      await recorder.stop();
      if (${cores} === 1) store = await openStore(${JSON.stringify(target)});
      const row = await store.db.selectFrom('usage_event_blocks').select((eb) => eb.fn.sum('count').as('n')).executeTakeFirst();
      const rollups = await store.db.selectFrom('usage_rollups').select((eb) => eb.fn.sum('count').as('n')).executeTakeFirst();
      process.stdout.write(row.n + ' ' + rollups.n);
      await store.close();`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('20000 20000');
  });

  it('the server connection reads then writes in a transaction while the thread commits batches, without SQLITE_BUSY', async () => {
    const writer = new WorkerBatchWriter(usageWorkerScript()!, url, store.db);
    const batch = () => Array.from({ length: 200 }, (_, i) => ({ ...event(i), route: 'GET /v1/busy' }));
    await writer.write(batch()); // the thread is up
    let written = 1;
    let done = false;
    // The thread commits batch after batch for as long as the transactions below run.
    const writing = (async () => {
      while (!done) {
        await writer.write(batch());
        written++;
      }
    })();
    try {
      for (let i = 0; i < 20; i++) {
        await store.db.transaction().execute(async (tx) => {
          await tx.selectFrom('usage_event_blocks').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
          await new Promise((resolve) => setTimeout(resolve, 5)); // the thread would commit here
          await tx.insertInto('node_heartbeats').values({ node_id: `node-${i}`, started_at: 0, seen_at: 0 }).execute();
        });
      }
    } finally {
      done = true;
      await writing;
      await writer.close();
    }
    expect(written).toBeGreaterThanOrEqual(2);
    expect(await count('GET /v1/busy')).toBe(written * 200);
  });

  it('on a single core it writes on the request thread, in small batches, the same rows', async () => {
    const writer = usageWriterFor(store, url, 1);
    expect(writer).not.toBeInstanceOf(WorkerBatchWriter);
    expect(writer.batchSize).toBe(REQUEST_THREAD_BATCH);
    const recorder = new UsageRecorder(writer);
    for (let i = 0; i < 1000; i++) recorder.record({ ...event(i), route: 'GET /v1/single-core' });
    await recorder.stop();
    expect(recorder.stats).toMatchObject({ written: 1000, batches: 1000 / REQUEST_THREAD_BATCH, dropped: 0 });
    expect(await count('GET /v1/single-core')).toBe(1000);
  });

  it.each([
    [1, 'on the request thread'],
    [2, 'on the writer thread'],
  ])('with %i core(s) rollups are held a moment (%s) and written in key order: usage shows within the SPEC\'s 5 s without a flush, and a flush or stop writes them at once', async (cores) => {
    const sum = async (route: string) =>
      Number((await store.db.selectFrom('usage_rollups').select((eb) => eb.fn.sum<number>('count').as('n')).where('route', '=', route).executeTakeFirstOrThrow()).n ?? 0);
    const recorder = new UsageRecorder(usageWriterFor(store, url, cores)); // the default flush interval, 1 s
    recorder.start();
    const many = (route: string) => Array.from({ length: 600 }, (_, i) => ({ ...event(i), keyId: `key_h${cores}_${i % 300}`, route: `${route}-${cores}` }));
    for (const e of many('GET /v1/held-a-moment')) recorder.record(e);
    const started = Date.now();
    const route = (name: string) => `${name}-${cores}`;
    // The raw rows come first, with their batch; their rollups are still held then.
    while ((await count(route('GET /v1/held-a-moment'))) < 600 && Date.now() - started < 5_000) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await count(route('GET /v1/held-a-moment'))).toBe(600);
    expect(await sum(route('GET /v1/held-a-moment'))).toBeLessThan(600);
    while ((await sum(route('GET /v1/held-a-moment'))) < 600 && Date.now() - started < 5_000) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await sum(route('GET /v1/held-a-moment'))).toBe(600);
    expect(Date.now() - started).toBeGreaterThanOrEqual(REQUEST_THREAD_HOLD_MS / 2); // held, not written with their events
    expect(await count(route('GET /v1/held-a-moment'))).toBe(600);

    for (const e of many('GET /v1/held-flushed')) recorder.record(e);
    await recorder.flush();
    expect(await sum(route('GET /v1/held-flushed'))).toBe(600);
    for (const e of many('GET /v1/held-stopped')) recorder.record(e);
    await recorder.stop();
    expect(await sum(route('GET /v1/held-stopped'))).toBe(600);
  });

  it('on a single core, a batch that meets the server connection mid-transaction fails at once (no wait on its own thread) and is written after', async () => {
    const writer = usageWriterFor(store, url, 1);
    const recorder = new UsageRecorder(writer);
    for (let i = 0; i < 10; i++) recorder.record({ ...event(i), route: 'GET /v1/held' });
    await store.db.transaction().execute(async (tx) => {
      await tx.insertInto('node_heartbeats').values({ node_id: 'node-held', started_at: 0, seen_at: 0 }).execute();
      const started = Date.now();
      await recorder.flush(); // the server's connection holds the write lock across this await
      expect(Date.now() - started).toBeLessThan(1_000);
    });
    expect(recorder.stats).toMatchObject({ failedWrites: 1, written: 0 });
    expect(recorder.pending).toBe(10);
    await recorder.stop();
    expect(recorder.stats).toMatchObject({ written: 10, dropped: 0 });
    expect(await count('GET /v1/held')).toBe(10);
  });

  it('on a single core, checkpoints are left to a thread: the writes reach the database file without the writer checkpointing', async () => {
    const file = join(dir, 'checkpointed.db');
    const own = await openStore(file);
    try {
      const { statSync } = await import('node:fs');
      const before = statSync(file).size;
      const writer = usageWriterFor(own, file, 1);
      for (let b = 0; b < 20; b++) await writer.write(Array.from({ length: 250 }, (_, i) => ({ ...event(b * 250 + i), route: 'GET /v1/checkpointed' })));
      const deadline = Date.now() + 5_000;
      while (statSync(file).size === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(statSync(file).size).toBeGreaterThan(before);
      await writer.close();
    } finally {
      await own.close();
    }
  });

  it('on a single core under steady writes the log still starts over: it stays short instead of growing with every batch', async () => {
    const file = join(dir, 'restarted.db');
    const own = await openStore(file);
    try {
      const { statSync } = await import('node:fs');
      // 100 log pages at most before a restart is forced, checked every 10 ms.
      const writer = requestThreadWriter(file, { everyMs: 10, restartFrames: 100 });
      let written = 0;
      let busy = 0;
      let largest = 0;
      // Back to back, as under load: ~40 MB of log pages in all (a key per event, each its own rollup row).
      for (let b = 0; b < 200; b++) {
        try {
          await writer.write(Array.from({ length: 250 }, (_, i) => ({ ...event(i), keyId: `key_r${(b * 250 + i) % 40_000}`, route: 'GET /v1/restarted' })));
          written++;
        } catch {
          busy++; // the checkpointer held the lock for a moment: the recorder would retry this batch
        }
        largest = Math.max(largest, statSync(`${file}-wal`).size);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await writer.close();
      // Writes wait for a restart rather than fail on it (one may still meet the lock now and then).
      expect(written).toBeGreaterThanOrEqual(180);
      expect(busy).toBeLessThan(20);
      const rows = (await readUsageEvents(own.db)).filter((e) => e.route === 'GET /v1/restarted').length;
      expect(rows).toBe(written * 250);
      // Without restarts the log reached 107 MB here. With them it reached 4-12 MB, and up to 28 MB while other
      // tests loaded the machine (it grows until the checkpoint thread has started, and by the largest commits).
      expect(largest).toBeLessThan(48 * 2 ** 20);
    } finally {
      await own.close();
    }
  });

  it('finds the compiled worker script', () => {
    expect(usageWorkerScript()?.pathname).toMatch(/dist\/usage\/write-worker\.js$/);
  });
});
