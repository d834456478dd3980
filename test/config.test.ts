import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('bench-only configuration', () => {
  it('keeps the failed-auth threshold at the SPEC’s 100 per minute by default', () => {
    expect(loadConfig({}).failedAuthPerMinute).toBe(100);
    expect(loadConfig({}).benchBaseline).toBe(false);
  });

  it('refuses a raised failed-auth threshold outside bench mode', () => {
    expect(() => loadConfig({ ATENDER_BENCH_FAILED_AUTH_PER_MINUTE: '1000000' })).toThrow(ConfigError);
  });

  it('lets the bench raise it, as a whole number', () => {
    expect(loadConfig({ ATENDER_BENCH_BASELINE: '1', ATENDER_BENCH_FAILED_AUTH_PER_MINUTE: '1000000' }).failedAuthPerMinute).toBe(1_000_000);
    expect(() => loadConfig({ ATENDER_BENCH_BASELINE: '1', ATENDER_BENCH_FAILED_AUTH_PER_MINUTE: 'lots' })).toThrow(ConfigError);
  });
});

describe('the metrics token', () => {
  it('is off by default, and taken as given when it is long enough', () => {
    expect(loadConfig({}).metricsToken).toBeNull();
    expect(loadConfig({ ATENDER_METRICS_TOKEN: 'prom-scraper-0123456789' }).metricsToken).toBe('prom-scraper-0123456789');
  });

  it('refuses a short token, or one with spaces, naming the variable', () => {
    for (const bad of ['short', 'has a space in it 0123', 'x'.repeat(257)]) {
      expect(() => loadConfig({ ATENDER_METRICS_TOKEN: bad })).toThrow(/ATENDER_METRICS_TOKEN must be 16 to 256 printable characters/);
    }
  });
});
