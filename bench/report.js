// @ts-check
/** Medians, ratios against the baseline of the same rounds, the issue's targets, and the printed table. */

/**
 * @typedef {import('./load.js').LoadResult & { variant: string, round: number, serverCpu: number, expectedShare: number, rss: number, peakRss: number }} Run
 * @typedef {{ name: string, shows: string, expect: number }} VariantInfo
 * @typedef {{ variant: string, rounds: number, rps: number, p50: number, p99: number, rss: number, peakRss: number, serverCpu: number, clientCpu: number, expectedShare: number, rpsPerCpu: number, vsBaseline: number | null, cpuVsBaseline: number | null, p99Added: number | null, roundRps: number[] }} Summary
 * @typedef {{ target: string, value: number | null, met: boolean | null, note: string }} Target
 */

/** @param {number[]} values */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 ? /** @type {number} */ (sorted[mid]) : (/** @type {number} */ (sorted[mid - 1]) + /** @type {number} */ (sorted[mid])) / 2;
}

/** @param {Run} r */
function perCpuSecond(r) {
  return r.rps / Math.max(r.serverCpu, 0.01);
}

/**
 * The median over rounds of `variant` / `reference` measured in the same round.
 * The machine's speed drifts (the same variant moves 15-50 % between rounds on
 * a shared VM), and a round's variants run back to back, so a ratio taken
 * within each round cancels most of the drift that a ratio of medians keeps.
 * @param {Run[]} runs @param {string} variant @param {string} reference @param {(r: Run) => number} value
 */
export function pairedRatio(runs, variant, reference, value) {
  return paired(runs, variant, reference, (r, ref) => value(r) / value(ref));
}

/**
 * The median over rounds of `variant` - `reference` measured in the same round:
 * the p99 a variant adds. Tail latency drifts with the machine as throughput
 * does (a busy neighbour moved the baseline's p99 from 8 to 16 ms between
 * rounds of one run), so it is paired the same way.
 * @param {Run[]} runs @param {string} variant @param {string} reference @param {(r: Run) => number} value
 */
export function pairedDifference(runs, variant, reference, value) {
  return paired(runs, variant, reference, (r, ref) => value(r) - value(ref));
}

/** @param {Run[]} runs @param {string} variant @param {string} reference @param {(r: Run, ref: Run) => number} compare */
function paired(runs, variant, reference, compare) {
  /** @type {number[]} */
  const values = [];
  for (const r of runs) {
    if (r.variant !== variant) continue;
    const ref = runs.find((x) => x.variant === reference && x.round === r.round);
    if (ref) values.push(compare(r, ref));
  }
  return median(values);
}

/**
 * How much the baseline's req/s moved between rounds (slowest to fastest, as a
 * share of the slowest), or null with fewer than two rounds. The same code
 * served 12,000 and 20,000 req/s in one run on a VM whose host was busy; past
 * NOISY_SPREAD a run's ratios are not to be read to the second decimal.
 * @param {Run[]} runs
 */
export function baselineSpread(runs) {
  const rps = runs.filter((r) => r.variant === 'baseline').map((r) => r.rps);
  if (rps.length < 2) return null;
  return Math.max(...rps) / Math.min(...rps) - 1;
}
export const NOISY_SPREAD = 0.15;

/**
 * @param {{ machine: object, settings: object, load: object, variants: VariantInfo[], skipped: Record<string, string>, runs: Run[], seconds: number }} input
 */
export function evaluate(input) {
  /** @type {Summary[]} */
  const summaries = [];
  for (const v of input.variants) {
    const runs = input.runs.filter((r) => r.variant === v.name);
    if (runs.length === 0) continue;
    const m = (/** @type {(r: Run) => number} */ f) => median(runs.map(f));
    summaries.push({
      variant: v.name,
      rounds: runs.length,
      rps: m((r) => r.rps),
      p50: m((r) => r.p50),
      p99: m((r) => r.p99),
      rss: m((r) => r.rss),
      peakRss: Math.max(...runs.map((r) => r.peakRss)),
      serverCpu: m((r) => r.serverCpu),
      clientCpu: m((r) => r.clientCpu),
      expectedShare: Math.min(...runs.map((r) => r.expectedShare)),
      rpsPerCpu: m(perCpuSecond),
      vsBaseline: null,
      cpuVsBaseline: null,
      p99Added: null,
      roundRps: runs.map((r) => r.rps),
    });
  }
  const base = summaries.find((s) => s.variant === 'baseline');
  for (const s of summaries) {
    if (!base) break;
    s.vsBaseline = pairedRatio(input.runs, s.variant, 'baseline', (r) => r.rps);
    s.cpuVsBaseline = pairedRatio(input.runs, s.variant, 'baseline', perCpuSecond);
    s.p99Added = pairedDifference(input.runs, s.variant, 'baseline', (r) => r.p99);
  }
  const get = (/** @type {string} */ name) => summaries.find((s) => s.variant === name);
  const embedded = get('embedded');
  const many = get('keys-1M');
  /** @type {Target[]} */
  const targets = [];
  /** @param {string} target @param {number | null | undefined} value @param {(v: number) => boolean} ok @param {string} note */
  const add = (target, value, ok, note) => targets.push({ target, value: value ?? null, met: value == null || Number.isNaN(value) ? null : ok(value), note });
  // The same ratio per server CPU-second: steadier than req/s when other work shares the core.
  const perCpu = (/** @type {Summary | undefined} */ s, /** @type {Summary | undefined} */ of = base) =>
    s && of ? `(per CPU-second: ${pairedRatio(input.runs, s.variant, of.variant, perCpuSecond).toFixed(2)})` : '';
  add('embedded >= 0.90 x baseline req/s', embedded?.vsBaseline, (v) => v >= 0.9, perCpu(embedded));
  add('embedded p99 added <= 1 ms', embedded?.p99Added, (v) => v <= 1, 'ms');
  add('redis >= 0.75 x baseline req/s', get('redis')?.vsBaseline, (v) => v >= 0.75, input.skipped.redis ?? perCpu(get('redis')));
  add('keys-1M >= 0.85 x embedded req/s', many && embedded ? pairedRatio(input.runs, 'keys-1M', 'embedded', (r) => r.rps) : null, (v) => v >= 0.85, perCpu(many, embedded));
  add('keys-1M RSS < 300 MB', many ? many.peakRss / 2 ** 20 : null, (v) => v < 300, 'MB, peak');
  add('invalid-401 >= 0.90 x baseline req/s', get('invalid-401')?.vsBaseline, (v) => v >= 0.9, perCpu(get('invalid-401')));
  add('invalid-429 >= 0.90 x baseline req/s', get('invalid-429')?.vsBaseline, (v) => v >= 0.9, perCpu(get('invalid-429')));
  return { ...input, summaries, targets, spread: baselineSpread(input.runs) };
}

/** @param {ReturnType<typeof evaluate>} report */
export function printReport(report) {
  const out = (/** @type {string} */ line) => process.stdout.write(line + '\n');
  const mb = (/** @type {number} */ b) => (b / 2 ** 20).toFixed(0);
  const pct = (/** @type {number} */ x) => `${(x * 100).toFixed(0)}%`;
  const rows = [['variant', 'req/s', 'x base', 'p50 ms', 'p99 ms', '+p99 ms', 'RSS MB', 'peak MB', 'srv cpu', 'req/cpu-s', 'x base', 'expected', 'rounds req/s']];
  for (const s of report.summaries) {
    const info = report.variants.find((v) => v.name === s.variant);
    rows.push([
      s.variant,
      Math.round(s.rps).toLocaleString('en'),
      s.vsBaseline === null ? '-' : s.vsBaseline.toFixed(2),
      s.p50.toFixed(2),
      s.p99.toFixed(2),
      s.p99Added === null || s.variant === 'baseline' ? '-' : (s.p99Added >= 0 ? '+' : '') + s.p99Added.toFixed(2),
      mb(s.rss),
      mb(s.peakRss),
      pct(s.serverCpu),
      Math.round(s.rpsPerCpu).toLocaleString('en'),
      s.cpuVsBaseline === null ? '-' : s.cpuVsBaseline.toFixed(2),
      `${pct(s.expectedShare)} ${info?.expect ?? ''}`,
      s.roundRps.map((r) => Math.round(r)).join(' / '),
    ]);
  }
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  out('');
  for (const [i, row] of rows.entries()) {
    out(row.map((cell, j) => (j === 0 || j === row.length - 1 ? cell.padEnd(widths[j] ?? 0) : cell.padStart(widths[j] ?? 0))).join('  ').trimEnd());
    if (i === 0) out(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  for (const [name, why] of Object.entries(report.skipped)) out(`${name}: skipped (${why})`);
  out('');
  for (const t of report.targets) {
    const mark = t.met === null ? 'n/a ' : t.met ? 'MET ' : 'MISS';
    out(`${mark}  ${t.target.padEnd(40)} ${t.value === null ? '' : t.value.toFixed(2)} ${t.note}`.trimEnd());
  }
  const m = /** @type {any} */ (report.machine);
  const s = /** @type {any} */ (report.settings);
  out('');
  out(`${m.nproc} x ${m.cpu}, node ${m.node}; ${s.connections} connections, ${s.rounds} rounds x (${s.warmup} s warmup + ${s.duration} s), server pinned: ${s.pinned ? 'core 0, load core 1' : 'no'}${s.redis ? `; redis: ${s.redis}` : ''}`);
  if (report.spread !== null) {
    const noisy = report.spread > NOISY_SPREAD;
    out(`baseline req/s varied ${(report.spread * 100).toFixed(0)} % between rounds${noisy ? ` (over ${NOISY_SPREAD * 100} %: the machine was busy; ratios near a target may land on either side of it in another run)` : ''}`);
  }
  out(`load average before/after: ${(/** @type {any} */ (report.load)).before.map((/** @type {number} */ x) => x.toFixed(2)).join(' ')} / ${(/** @type {any} */ (report.load)).after.map((/** @type {number} */ x) => x.toFixed(2)).join(' ')}; took ${report.seconds.toFixed(0)} s`);
}
