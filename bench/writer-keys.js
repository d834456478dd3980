// @ts-check
/**
 * `npm run bench:writer`: the single-core usage writer with many keys, in
 * process, on a copy of a database of `--keys` keys: CPU time (all threads,
 * user and system) per event while events arrive at `--rate` per second over
 * `--spread` keys in random order, every block of `--spread` events in a new
 * minute (bench keys-1M's worst case: each key's first use in a minute). Runs
 * rollups held (the default) and not held, alternating, and prints both.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';

const { values: opts } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    spread: { type: 'string', default: '100000' },
    rate: { type: 'string', default: '15000' },
    blocks: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '2' },
  },
});
const total = Number(opts.keys);
const spread = Number(opts.spread);
const rate = Number(opts.rate);
const blocks = Number(opts.blocks);
const rounds = Number(opts.rounds);
const { insertManyKeys, prepareKeyedDatabase } = await import('./setup.js');
const { REQUEST_THREAD_BATCH, REQUEST_THREAD_HOLD_MS, requestThreadWriter } = await import('../dist/usage/worker-writer.js');

const dir = mkdtempSync(join(tmpdir(), 'atender-writer-'));
try {
  const db = await prepareKeyedDatabase(dir, 'keys');
  insertManyKeys(db, total, spread, join(dir, 'spread.txt'));
  const read = new SQLite(db.dbPath, { readonly: true });
  const every = Math.max(1, Math.floor(total / spread));
  /** @type {[string, string][]} */
  const secrets = /** @type {any} */ (read.prepare('select key_id, id from api_key_secrets where rowid % ? = 0 limit ?').raw().all(every, spread));
  read.close();
  for (let i = secrets.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [secrets[i], secrets[j]] = [/** @type {[string, string]} */ (secrets[j]), /** @type {[string, string]} */ (secrets[i])];
  }
  console.log(`${total.toLocaleString('en')} keys, ${secrets.length.toLocaleString('en')} in use in random order, ${rate.toLocaleString('en')} events/s, batches of ${REQUEST_THREAD_BATCH}; µs of CPU per event (user + system), per block of ${secrets.length.toLocaleString('en')} (a new minute each)`);
  for (let round = 0; round < rounds; round++) {
    for (const holdMs of [REQUEST_THREAD_HOLD_MS, 0]) console.log(`  ${holdMs ? `held ${holdMs} ms` : 'not held   '}  ${(await run(db.dbPath, secrets, holdMs)).join('  ')}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** @param {string} source @param {[string, string][]} secrets @param {number} holdMs */
async function run(source, secrets, holdMs) {
  const file = source.replace(/\.db$/, '-run.db');
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  copyFileSync(source, file);
  const writer = requestThreadWriter(file, {}, holdMs);
  const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
  const started = Date.now();
  /** @type {string[]} */
  const results = [];
  let events = [];
  let cpu = process.cpuUsage();
  for (let i = 0; i < blocks * secrets.length; i++) {
    const [keyId, secretId] = /** @type {[string, string]} */ (secrets[i % secrets.length]);
    const minute = Math.floor(i / secrets.length);
    events.push({ keyId, secretId, ts: t0 + minute * 61_000 + Math.floor(((i % secrets.length) * 1000) / rate), method: 'GET', route: 'GET /v1/me', requiredScopes: '', status: 200, latencyMs: 0.2 + (i % 7) * 0.05, ip: '127.0.0.1' });
    if (events.length === REQUEST_THREAD_BATCH) {
      const wait = started + (i * 1000) / rate - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const batch = events;
      events = [];
      // A busy lock (the checkpoint thread) fails a batch; the recorder would write it at its next flush.
      for (;;) {
        try {
          await writer.write(batch);
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      }
    }
    if ((i + 1) % secrets.length === 0) {
      const used = process.cpuUsage(cpu);
      results.push(`${((used.user + used.system) / secrets.length).toFixed(1)} (${(used.system / secrets.length).toFixed(1)} sys)`);
      cpu = process.cpuUsage();
    }
  }
  await writer.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  return results;
}
