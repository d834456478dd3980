// @ts-check
/**
 * `npm run bench`: the key pipeline's cost against the same handler without it.
 * Starts one real `atender serve` per variant (fresh SQLite file each, pinned to
 * core 0), drives each from a separate autocannon process pinned to core 1,
 * interleaves the variants round by round and prints medians, with each ratio
 * the median of the ratios taken within a round. See BENCHMARKS.md.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { perfAvailable, printPerfTable, recordProcess } from './perf.js';
import { evaluate, printReport } from './report.js';
import { pinning, reachable, startOwnRedis, startServer } from './servers.js';

const LOAD = fileURLToPath(new URL('./load.js', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/cli/index.js', import.meta.url));
const RAISED_FAILED_AUTH = '1000000000';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', short: 'd', default: '3' },
    warmup: { type: 'string', short: 'w', default: '1' },
    rounds: { type: 'string', short: 'r', default: '5' },
    connections: { type: 'string', short: 'c', default: '50' },
    keys: { type: 'string', default: '1000000' },
    spread: { type: 'string', default: '100000' },
    only: { type: 'string' },
    json: { type: 'string' },
    profile: { type: 'string' },
    perf: { type: 'string' },
  },
});
const duration = Number(opts.duration);
const warmup = Number(opts.warmup);
const rounds = Number(opts.rounds);
const connections = Number(opts.connections);
const totalKeys = Number(opts.keys);
const spread = Number(opts.spread);

if (!existsSync(DIST)) {
  process.stderr.write('bench: the app is not built; run `npm run build` first\n');
  process.exit(2);
}
// Imported after the check: setup.js loads the compiled app.
const { insertManyKeys, prepareKeyedDatabase, writeUnknownKeys } = await import('./setup.js');

/**
 * @typedef {object} Variant
 * @property {string} name
 * @property {string} path
 * @property {number} expect the status every measured response should have
 * @property {string} shows
 * @property {() => Promise<{ env: Record<string, string>, token?: string, tokensFile?: string, prime?: number } | { skip: string }>} prepare
 */

const dir = mkdtempSync(join(tmpdir(), 'atender-bench-'));
const only = opts.only ? new Set(opts.only.split(',')) : null;
const pin = pinning();
// A Redis of the bench's own, pinned beside the load generator, unless ATENDER_REDIS_URL names one.
const ownRedis = process.env.ATENDER_REDIS_URL || (only && !only.has('redis')) ? null : await startOwnRedis(pin);
const redisUrl = ownRedis?.url ?? (process.env.ATENDER_REDIS_URL || 'redis://127.0.0.1:6379');
const redisLimiterBuilt = existsSync(fileURLToPath(new URL('../dist/limiter/redis.js', import.meta.url)));
const unknownKeys = () => writeUnknownKeys(dir, 1_000);

/** @param {string} name */
const keyed = async (name, env = {}) => {
  const db = await prepareKeyedDatabase(dir, name);
  return { env: { ATENDER_DATABASE_URL: db.dbPath, ...env }, token: db.key };
};

/** @type {Variant[]} */
const ALL = [
  { name: 'baseline', path: '/bench/baseline', expect: 200, shows: 'the /v1/me handler and schema without the pipeline', prepare: () => keyed('baseline') },
  { name: 'embedded', path: '/v1/me', expect: 200, shows: 'full pipeline, SQLite, in-process limiter, usage on', prepare: () => keyed('embedded') },
  {
    name: 'redis',
    path: '/v1/me',
    expect: 200,
    shows: 'full pipeline with the Redis limiter',
    prepare: async () => {
      if (!redisLimiterBuilt) return { skip: 'the Redis limiter (src/limiter/redis.ts) is not in this build' };
      if (!(await reachable(redisUrl))) return { skip: `Redis is not reachable at ${redisUrl}` };
      return keyed('redis', { ATENDER_REDIS_URL: redisUrl, ATENDER_REDIS_PREFIX: `bench-${process.pid}-${Date.now()}:` });
    },
  },
  {
    name: 'invalid-401',
    path: '/v1/me',
    expect: 401,
    shows: 'unknown well-formed keys, negative cache (throttle raised for the bench)',
    prepare: async () => ({ ...(await keyed('invalid-401', { ATENDER_BENCH_FAILED_AUTH_PER_MINUTE: RAISED_FAILED_AUTH })), token: undefined, tokensFile: unknownKeys() }),
  },
  {
    name: 'invalid-429',
    path: '/v1/me',
    expect: 429,
    shows: 'unknown keys past the per-IP failed-auth threshold',
    prepare: async () => ({ ...(await keyed('invalid-429')), token: undefined, tokensFile: unknownKeys() }),
  },
  {
    name: 'keys-1M',
    path: '/v1/me',
    expect: 200,
    shows: `${totalKeys.toLocaleString('en')} keys stored, requests cycling over ${spread.toLocaleString('en')}`,
    prepare: async () => {
      const db = await prepareKeyedDatabase(dir, 'keys-1M');
      const tokensFile = join(dir, 'spread-keys.txt');
      const started = Date.now();
      insertManyKeys(db, totalKeys, spread, tokensFile);
      log(`  inserted ${totalKeys.toLocaleString('en')} keys in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      // The first round first sends one request per key of the spread; cached entries are re-confirmed beside requests after a minute.
      return { env: { ATENDER_DATABASE_URL: db.dbPath }, tokensFile, prime: spread };
    },
  },
];

const variants = ALL.filter((v) => !only || only.has(v.name) || v.name === 'baseline');
/** @param {string} line */
function log(line) {
  process.stderr.write(line + '\n');
}

/** @type {Map<string, import('./servers.js').BenchServer>} */
const servers = new Map();
/** @type {Record<string, string>} */
const skipped = {};
const cleanup = async () => {
  await Promise.all([...servers.values()].map((s) => s.stop()));
  // The maps node --perf-basic-prof wrote for perf to name JIT code: read by the table, no use after.
  if (opts.perf) for (const s of servers.values()) rmSync(`/tmp/perf-${s.pid}.map`, { force: true });
  ownRedis?.stop();
  rmSync(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => void cleanup().finally(() => process.exit(130)));

const startedAt = Date.now();
const load = loadavg();
const perfDir = opts.perf && perfAvailable() ? opts.perf : undefined;
/** @type {Map<string, string[]>} */
const perfFiles = new Map();
try {
  if (!pin.available) log('bench: taskset not available; server and load generator are not pinned (numbers are less comparable)');
  if (opts.perf && !perfDir) log('bench: --perf needs Linux perf allowed to sample (Debian: linux-perf); going on without it');
  if (perfDir) mkdirSync(perfDir, { recursive: true });
  /** @type {Map<string, { token?: string, tokensFile?: string, prime?: number }>} */
  const jobs = new Map();
  for (const v of variants) {
    log(`preparing ${v.name}`);
    const prepared = await v.prepare();
    if ('skip' in prepared) {
      skipped[v.name] = prepared.skip;
      log(`  skipped: ${prepared.skip}`);
      continue;
    }
    const profileDir = opts.profile ? join(opts.profile, v.name) : undefined;
    servers.set(v.name, await startServer({ ATENDER_BENCH_BASELINE: '1', ...prepared.env }, pin, profileDir, perfDir !== undefined));
    jobs.set(v.name, { token: prepared.token, tokensFile: prepared.tokensFile, prime: prepared.prime });
  }
  await checkBodies(jobs);

  /** @type {import('./report.js').Run[]} */
  const runs = [];
  const active = variants.filter((v) => servers.has(v.name));
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round so no variant always follows the same neighbour.
    const order = active.map((_, i) => /** @type {Variant} */ (active[(i + round) % active.length]));
    for (const v of order) {
      const server = /** @type {import('./servers.js').BenchServer} */ (servers.get(v.name));
      const { prime, ...rest } = jobs.get(v.name) ?? {};
      // Priming fills the cache once; later rounds see the steady state, re-confirmations beside requests included.
      const job = { url: server.url, path: v.path, connections, duration, warmup, ...rest, ...(round === 0 && prime ? { prime } : {}) };
      const cpuBefore = server.cpuSeconds();
      const wallBefore = Date.now();
      const perfFile = perfDir ? join(perfDir, `${v.name}-${round + 1}.data`) : undefined;
      const stopPerf = perfFile ? recordProcess(server.pid, perfFile) : undefined;
      const result = await runLoad(job).finally(() => stopPerf?.());
      if (perfFile) perfFiles.set(v.name, [...(perfFiles.get(v.name) ?? []), perfFile]);
      const serverCpu = (server.cpuSeconds() - cpuBefore) / ((Date.now() - wallBefore) / 1000);
      const expected = (result.statuses[String(v.expect)] ?? 0) / Math.max(1, result.requests);
      const memory = server.memory();
      runs.push({ variant: v.name, round, ...result, serverCpu, expectedShare: expected, rss: memory.rss, peakRss: memory.peak });
      log(`  round ${round + 1} ${v.name.padEnd(12)} ${Math.round(result.rps).toString().padStart(7)} req/s  p99 ${result.p99.toFixed(2)} ms  ${(expected * 100).toFixed(1)}% ${v.expect}  server cpu ${(serverCpu * 100).toFixed(0)}%  client cpu ${(result.clientCpu * 100).toFixed(0)}%`);
    }
  }

  const report = evaluate({
    machine: machine(),
    settings: { duration, warmup, rounds, connections, keys: totalKeys, spread, pinned: pin.available, redis: ownRedis ? `own redis-server${pin.available ? ' on core 1' : ''}` : redisUrl },
    load: { before: load, after: loadavg() },
    variants: variants.map((v) => ({ name: v.name, shows: v.shows, expect: v.expect })),
    skipped,
    runs,
    seconds: (Date.now() - startedAt) / 1000,
  });
  printReport(report);
  if (perfDir) printPerfTable(report.summaries, perfFiles);
  if (opts.json) writeFileSync(opts.json, JSON.stringify(report, null, 2) + '\n');
} finally {
  await cleanup();
}

/** @param {object} job @returns {Promise<import('./load.js').LoadResult>} */
function runLoad(job) {
  const [command, ...args] = pin.wrap(1, [process.execPath, LOAD, JSON.stringify(job)]);
  return new Promise((resolve, reject) => {
    const child = spawn(/** @type {string} */ (command), args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator exited with ${code}`))));
  });
}

/**
 * The ratio is only fair if baseline and /v1/me send the same bytes; say so loudly when they do not.
 * @param {Map<string, { token?: string }>} jobs
 */
async function checkBodies(jobs) {
  const base = servers.get('baseline');
  const embedded = servers.get('embedded');
  if (!base || !embedded) return;
  const get = async (/** @type {string} */ url, /** @type {string | undefined} */ token) => (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).text();
  const a = await get(`${base.url}/bench/baseline`, jobs.get('baseline')?.token);
  const b = await get(`${embedded.url}/v1/me`, jobs.get('embedded')?.token);
  // The remaining counters may differ by a digit; anything more is a different body.
  if (Math.abs(a.length - b.length) > 2 || JSON.stringify(Object.keys(JSON.parse(a))) !== JSON.stringify(Object.keys(JSON.parse(b)))) {
    log(`bench: WARNING baseline body (${a.length} bytes) differs from /v1/me (${b.length} bytes):\n  ${a}\n  ${b}`);
  }
}

function machine() {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  let uptime = '';
  try {
    uptime = execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    // not everywhere
  }
  return { nproc: cpus().length, cpu: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown', node: process.version, uptime };
}
