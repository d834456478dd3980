/** `atender keys usage <key_id> [--since 24h] [--json]`: SPEC section 7, read straight from the rollups. */
import type { Command } from 'commander';
import { parseDuration } from '../core/durations.js';
import { type KeyUsage, keyUsage, specUsage } from '../usage/queries.js';
import { UsageError, printJson, withRuntime } from './context.js';

const BARS = '▁▂▃▄▅▆▇█';
const n = (v: number) => v.toLocaleString('en-US');
const ms = (v: number | null) => (v === null ? '-' : `${v} ms`);

export function usageCommand(keys: Command): void {
  keys
    .command('usage <key_id>')
    .description("a key's usage: totals, status classes, rate-limited, top routes, a time series and unused scopes")
    .option('--since <duration>', 'how far back, e.g. 1h, 24h, 7d (at most 366d)', '24h')
    .option('--json', 'print JSON')
    .action(async (keyId: string, opts: { since: string; json?: boolean }) => {
      const span = parseDuration(opts.since);
      if (!span) throw new UsageError(`--since must be a duration like 24h or 7d, got "${opts.since}"`);
      const usage = await withRuntime(async (rt) => {
        const now = rt.clock.now();
        return keyUsage(rt.store.db, keyId, now - span, now);
      });
      if (opts.json) return printJson(specUsage(usage));
      process.stdout.write(describeUsage(usage, opts.since));
    });
}

export function describeUsage(u: KeyUsage, since: string): string {
  const lines = [
    `${u.key_id}: usage over the last ${since} (${u.since} to ${u.until})`,
    `  requests       ${n(u.total)}   2xx ${n(u.by_status['2xx'])}  3xx ${n(u.by_status['3xx'])}  4xx ${n(u.by_status['4xx'])}  5xx ${n(u.by_status['5xx'])}`,
    `  rate limited   ${n(u.rate_limited)}`,
    `  latency        p50 ${ms(u.latency_ms.p50)}  p95 ${ms(u.latency_ms.p95)}  p99 ${ms(u.latency_ms.p99)}`,
    `  last used      ${u.last_used_at ?? 'never'}`,
  ];
  if (u.routes.length > 0) {
    const width = n(u.routes[0]!.count).length;
    lines.push('  top routes');
    for (const r of u.routes.slice(0, 10)) lines.push(`    ${n(r.count).padStart(width)}  ${r.route}`);
  }
  lines.push(`  per ${u.interval.padEnd(11)}${sparkline(u.series.map((p) => p.count))}  (peak ${n(Math.max(0, ...u.series.map((p) => p.count)))})`);
  lines.push(
    u.unused_scopes.length > 0
      ? `  unused scopes  ${u.unused_scopes.join(', ')}  (granted, but no request in this window needed them: consider removing)`
      : '  unused scopes  none',
  );
  return `${lines.join('\n')}\n`;
}

function sparkline(values: number[]): string {
  const peak = Math.max(0, ...values);
  // Long series are folded into at most 60 characters, each the sum of its slice.
  const width = Math.min(60, values.length);
  const per = values.length / width;
  const folded = Array.from({ length: width }, (_, i) => values.slice(Math.floor(i * per), Math.floor((i + 1) * per)).reduce((a, b) => a + b, 0));
  const top = Math.max(peak, ...folded);
  return folded.map((v) => (v === 0 ? ' ' : BARS[Math.min(BARS.length - 1, Math.floor((v / top) * (BARS.length - 1)))])).join('');
}
