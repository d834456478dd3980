// @ts-check
/**
 * The load generator: one autocannon run against one server, in its own process
 * (run.js pins it to the core the server is not on). Reads its job as JSON from
 * argv[2], prints one JSON result line. Latency is recorded per response with
 * sub-millisecond resolution (autocannon's own histogram rounds to whole ms,
 * too coarse for "p99 added <= 1 ms").
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

/**
 * @typedef {object} LoadJob
 * @property {string} url
 * @property {string} path
 * @property {number} connections
 * @property {number} duration seconds measured
 * @property {number} warmup seconds before measuring (same load, not recorded)
 * @property {string} [token] one key for every request
 * @property {string} [tokensFile] newline-separated keys, cycled request by request
 * @property {number} [prime] before the warmup, send this many requests (one per key of tokensFile)
 */

/**
 * @typedef {object} LoadResult
 * @property {number} requests
 * @property {number} rps
 * @property {number} p50 ms
 * @property {number} p99 ms
 * @property {Record<string, number>} statuses
 * @property {number} errors
 * @property {number} timeouts
 * @property {number} clientCpu share of one core the generator used (near 1: the client is the bottleneck)
 */

/** @param {LoadJob} job */
function requestOptions(job) {
  if (job.tokensFile) {
    const tokens = readFileSync(job.tokensFile, 'utf8').split('\n').filter(Boolean);
    let next = 0;
    return {
      requests: [
        {
          method: /** @type {const} */ ('GET'),
          path: job.path,
          /** @param {any} request */
          setupRequest: (request) => {
            const token = tokens[next++ % tokens.length];
            return { ...request, headers: { authorization: `Bearer ${token}` } };
          },
        },
      ],
    };
  }
  return { headers: job.token ? { authorization: `Bearer ${job.token}` } : {}, path: job.path };
}

/**
 * @param {LoadJob} job
 * @param {{ duration: number } | { amount: number }} length
 * @param {((ms: number, status: number) => void) | null} onResponse
 * @returns {Promise<autocannon.Result>}
 */
function run(job, length, onResponse) {
  const { path, ...options } = requestOptions(job);
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url: job.url + (path ?? ''), connections: job.connections, timeout: 10, ...length, ...options }, (err, result) => (err ? reject(err) : resolve(result)));
    if (onResponse) instance.on('response', (_client, status, _bytes, ms) => onResponse(ms, status));
  });
}

/** @param {LoadJob} job @returns {Promise<LoadResult>} */
export async function measure(job) {
  // Priming brings every key of the spread into the server's cache once, as steady traffic would.
  if (job.prime) await run(job, { amount: job.prime }, null);
  if (job.warmup > 0) await run(job, { duration: job.warmup }, null);
  let latencies = new Float64Array(1 << 20);
  let count = 0;
  /** @type {Record<string, number>} */
  const statuses = {};
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const result = await run(job, { duration: job.duration }, (ms, status) => {
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = ms;
    statuses[status] = (statuses[status] ?? 0) + 1;
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpuBefore);
  const sorted = latencies.subarray(0, count).sort();
  const at = (/** @type {number} */ q) => (count === 0 ? NaN : sorted[Math.min(count - 1, Math.floor(q * count))] ?? NaN);
  return {
    requests: count,
    rps: count / (result.duration > 0 ? result.duration : wallMs / 1000),
    p50: at(0.5),
    p99: at(0.99),
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    clientCpu: (cpu.user + cpu.system) / 1000 / wallMs,
  };
}

if (process.argv[2]) {
  const result = await measure(JSON.parse(process.argv[2]));
  process.stdout.write(JSON.stringify(result) + '\n');
}
