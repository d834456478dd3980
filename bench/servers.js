// @ts-check
/** Real `atender serve` processes for the bench: pinned to a core, polled until ready, measured through /proc. */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/atender.js', import.meta.url));
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** `taskset -c <core>` when the tool exists and the machine has a second core to keep the load on. */
export function pinning() {
  const available = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  return {
    available,
    /** @param {number} core @param {string[]} argv */
    wrap: (core, argv) => (available ? ['taskset', '-c', String(core), ...argv] : argv),
  };
}

/** @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** @param {string} url @returns {Promise<boolean>} */
export function reachable(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    const done = (/** @type {boolean} */ ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * @typedef {object} BenchServer
 * @property {string} url
 * @property {number} pid
 * @property {() => number} cpuSeconds user+system CPU time used so far
 * @property {() => { rss: number, peak: number }} memory bytes, from /proc/<pid>/status
 * @property {() => string} output
 * @property {() => Promise<void>} stop
 */

/**
 * @param {Record<string, string>} env
 * @param {ReturnType<typeof pinning>} pin
 * @param {string} [profileDir] write a V8 CPU profile there when the server exits
 * @param {boolean} [perfMap] let `perf` name JIT-compiled code (node --perf-basic-prof)
 * @returns {Promise<BenchServer>}
 */
export async function startServer(env, pin, profileDir, perfMap = false) {
  const port = await freePort();
  const profile = [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...(perfMap ? ['--perf-basic-prof'] : [])];
  const [command, ...args] = pin.wrap(0, [process.execPath, ...profile, BIN, 'serve', '--no-seed']);
  const child = spawn(/** @type {string} */ (command), args, {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), ATENDER_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  // Generous: at a million keys the usage pruner's start-up pass (one query per key) holds the server for about a minute.
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`atender serve exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`atender serve did not start within 180 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // taskset execs node, so the child's pid is the server's.
  const pid = /** @type {number} */ (child.pid);
  return {
    url,
    pid,
    cpuSeconds() {
      // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    },
    memory() {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (/** @type {string} */ name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN) * 1024;
      return { rss: kb('VmRSS'), peak: kb('VmHWM') };
    },
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/**
 * A Redis of the bench's own when `redis-server` is installed: on the load
 * generator's core, so the server's core measures the server alone (a shared
 * Redis floats over both cores and takes part of the server's), and with
 * nothing kept on disk. Null when there is no `redis-server` to start.
 * @param {ReturnType<typeof pinning>} pin
 * @returns {Promise<{ url: string, stop: () => void } | null>}
 */
export async function startOwnRedis(pin) {
  if (spawnSync('redis-server', ['--version']).status !== 0) return null;
  const port = await freePort();
  const [command, ...args] = pin.wrap(1, ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no']);
  const child = spawn(/** @type {string} */ (command), args, { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 10_000; !(await reachable(url)); ) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      return null;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, stop: () => void child.kill('SIGTERM') };
}
