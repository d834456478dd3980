import { describe, expect, it } from 'vitest';
import { NOISY_SPREAD, baselineSpread, evaluate, pairedDifference, pairedRatio } from '../../bench/report.js';

type Run = Parameters<typeof pairedRatio>[0][number];

// Only the fields the report reads from a round.
function run(variant: string, round: number, rps: number, p99: number): Run {
  return { variant, round, rps, p99, p50: p99 / 4, serverCpu: 0.8, clientCpu: 0.5, expectedShare: 1, rss: 150 * 2 ** 20, peakRss: 160 * 2 ** 20 } as Run;
}

// Three rounds on a machine that slowed down between them: the baseline's own p99 doubles.
const runs = [
  run('baseline', 0, 30_000, 8),
  run('embedded', 0, 29_000, 8.5),
  run('baseline', 1, 15_000, 16),
  run('embedded', 1, 14_000, 16.4),
  run('baseline', 2, 29_000, 8.2),
  run('embedded', 2, 28_500, 8.9),
];

describe('bench report', () => {
  it('takes the p99 a variant adds within each round, not across rounds', () => {
    // Per round: +0.5, +0.4, +0.7; the median of the medians would give 8.9 - 8.2.
    expect(pairedDifference(runs, 'embedded', 'baseline', (r) => r.p99)).toBeCloseTo(0.5);
    const withVariants = evaluate({
      machine: {},
      settings: {},
      load: {},
      variants: [{ name: 'baseline', shows: '', expect: 200 }, { name: 'embedded', shows: '', expect: 200 }],
      skipped: {},
      runs,
      seconds: 1,
    });
    expect(withVariants.summaries.find((s) => s.variant === 'embedded')?.p99Added).toBeCloseTo(0.5);
    expect(withVariants.targets.find((t) => t.target.startsWith('embedded p99'))?.met).toBe(true);
  });

  it('pairs ratios by round too', () => {
    // Per round: 0.967, 0.933, 0.983; the ratio of the medians would give 28,500 / 29,000.
    expect(pairedRatio(runs, 'embedded', 'baseline', (r) => r.rps)).toBeCloseTo(29_000 / 30_000);
  });

  it('says how far the baseline moved between rounds, and whether that is noisy', () => {
    expect(baselineSpread(runs)).toBeCloseTo(30_000 / 15_000 - 1);
    expect(baselineSpread(runs)!).toBeGreaterThan(NOISY_SPREAD);
    expect(baselineSpread(runs.slice(0, 2))).toBeNull();
    expect(baselineSpread([run('baseline', 0, 30_000, 8), run('baseline', 1, 31_000, 8)])!).toBeLessThan(NOISY_SPREAD);
  });
});
