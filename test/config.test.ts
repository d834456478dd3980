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
