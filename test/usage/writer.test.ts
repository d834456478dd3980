import { describe, expect, it } from 'vitest';
import { LAST_USED_RESOLUTION_MS, LastUseThrottle, type UsageEvent } from '../../src/usage/writer.js';

const use = (secretId: string, ts: number): UsageEvent => ({ keyId: 'key_x', secretId, ts, method: 'GET', route: 'GET /v1/me', requiredScopes: '', status: 200, latencyMs: 1, ip: null });

describe('last-used times: written at most once per clock minute per secret', () => {
  it('writes a first use, skips uses within the minute after the written one, writes the next one a minute on', () => {
    const throttle = new LastUseThrottle();
    const t = 1_767_225_600_000;
    const first = throttle.due([use('sec_a', t), use('sec_a', t - 5), use('sec_b', t + 1)]);
    expect(first).toEqual([['sec_a', t], ['sec_b', t + 1]]);
    throttle.committed(first);
    expect(throttle.due([use('sec_a', t + LAST_USED_RESOLUTION_MS - 1)])).toEqual([]);
    expect(throttle.due([use('sec_a', t + LAST_USED_RESOLUTION_MS)])).toEqual([['sec_a', t + LAST_USED_RESOLUTION_MS]]);
  });

  it('counts clock minutes: a use in the next minute is written even under 60 s after the last, so the time names the latest minute used', () => {
    const throttle = new LastUseThrottle();
    const t = 1_767_225_600_000 + 30_000;
    throttle.committed(throttle.due([use('sec_a', t)]));
    expect(throttle.due([use('sec_a', t + 29_999)])).toEqual([]);
    expect(throttle.due([use('sec_a', t + 30_000)])).toEqual([['sec_a', t + 30_000]]);
  });

  it('a write that did not commit is written again by the next batch', () => {
    const throttle = new LastUseThrottle();
    const t = 1_767_225_600_000;
    expect(throttle.due([use('sec_a', t)])).toHaveLength(1); // ... and the transaction failed: no committed()
    expect(throttle.due([use('sec_a', t + 1)])).toEqual([['sec_a', t + 1]]);
  });

  it('stays bounded: past its size it forgets, which costs one more write, never a lost one', () => {
    const throttle = new LastUseThrottle(2);
    const t = 1_767_225_600_000;
    throttle.committed([['sec_a', t], ['sec_b', t]]);
    throttle.committed([['sec_c', t]]);
    expect(throttle.due([use('sec_a', t + 1)])).toEqual([['sec_a', t + 1]]);
  });

  it('events without a secret (none was presented) write nothing', () => {
    expect(new LastUseThrottle().due([{ ...use('x', 1), secretId: null }])).toEqual([]);
  });
});
