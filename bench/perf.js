// @ts-check
/**
 * `npm run bench -- --perf DIR`: where each variant's server CPU goes, by the
 * binary that ran it (node's own C++, the kernel, JIT-compiled JavaScript,
 * libc, SQLite), in µs per request. Linux `perf` samples the server with the
 * cpu-clock timer, which works on VMs whose hardware counters it cannot read,
 * for every measured round; a share of the samples times the server's CPU
 * per request (the table's req/cpu-s) is µs per request. This is how session
 * 7 found that the kernel's loopback path, not the pipeline, made most of the
 * gap (BENCHMARKS.md); V8's `--cpu-prof` cannot see the kernel at all.
 */
import { execFileSync, spawn } from 'node:child_process';

/** The columns, in order; a binary not listed counts as `other`. */
export const BINARIES = ['node', 'kernel', 'JIT code', 'libc', 'SQLite', 'other'];

/** Whether `perf record` works here (installed, and allowed to sample). */
export function perfAvailable() {
  try {
    execFileSync('perf', ['record', '-q', '-e', 'cpu-clock', '-o', '/dev/null', '--', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Samples process `pid` into `file` until the returned function is called; it resolves once the file is written.
 * @param {number} pid @param {string} file @returns {() => Promise<void>}
 */
export function recordProcess(pid, file) {
  const child = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', '999', '-p', String(pid), '-o', file], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return async () => {
    child.kill('SIGINT');
    await exited;
  };
}

/** @param {string} dso */
function binaryOf(dso) {
  if (dso === '[kernel.kallsyms]') return 'kernel';
  // With node's --perf-basic-prof, perf names JIT code from /tmp/perf-<pid>.map.
  if (dso.startsWith('[JIT]') || dso.startsWith('perf-') || dso === '[unknown]') return 'JIT code';
  if (dso === 'node') return 'node';
  if (dso.startsWith('libc.')) return 'libc';
  if (dso.startsWith('better_sqlite3')) return 'SQLite';
  return 'other';
}

/**
 * The share of samples by binary in perf data files (one per round), summed over the files.
 * @param {string[]} files @returns {Record<string, number>}
 */
export function sharesByBinary(files) {
  /** @type {Record<string, number>} */
  const samples = {};
  let total = 0;
  for (const file of files) {
    const out = execFileSync('perf', ['report', '-i', file, '--sort', 'dso', '--stdio', '-g', 'none', '-F', 'sample,dso'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    for (const line of out.split('\n')) {
      const m = /^\s+(\d+)\s+(\S.*?)\s*$/.exec(line);
      if (!m) continue;
      const n = Number(m[1]);
      const binary = binaryOf(/** @type {string} */ (m[2]));
      samples[binary] = (samples[binary] ?? 0) + n;
      total += n;
    }
  }
  return Object.fromEntries(BINARIES.map((b) => [b, total > 0 ? (samples[b] ?? 0) / total : 0]));
}

/**
 * The printed table: µs per request by binary, per variant.
 * @param {{ variant: string, rpsPerCpu: number }[]} summaries @param {Map<string, string[]>} filesByVariant
 */
export function printPerfTable(summaries, filesByVariant) {
  const lines = ['', 'where the server CPU goes (perf cpu-clock over the measured rounds; µs per request)', ''];
  lines.push(['variant'.padEnd(11), 'total'.padStart(6), ...BINARIES.map((b) => b.padStart(b.length > 6 ? b.length : 6))].join('  '));
  for (const s of summaries) {
    const files = filesByVariant.get(s.variant);
    if (!files || files.length === 0) continue;
    const shares = sharesByBinary(files);
    const total = 1e6 / s.rpsPerCpu;
    lines.push([s.variant.padEnd(11), total.toFixed(1).padStart(6), ...BINARIES.map((b) => ((shares[b] ?? 0) * total).toFixed(1).padStart(b.length > 6 ? b.length : 6))].join('  '));
  }
  process.stdout.write(lines.join('\n') + '\n');
}
