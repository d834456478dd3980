import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCH_KEY } from '../../src/http/bench-baseline.js';
import { type TestApp, startTestApp } from '../helpers/app.js';

describe('the bench baseline route', () => {
  let plain: TestApp;
  let bench: TestApp;
  beforeAll(async () => {
    plain = await startTestApp();
    bench = await startTestApp({ config: { benchBaseline: true } });
  });
  afterAll(async () => {
    await plain.close();
    await bench.close();
  });

  it('does not exist unless the bench switch is on', async () => {
    expect((await plain.app.inject({ method: 'GET', url: '/bench/baseline' })).statusCode).toBe(404);
  });

  it('answers with /v1/me’s shape and size for the bench key, without the pipeline', async () => {
    const { key } = await bench.key({ name: BENCH_KEY.name, scopes: [...BENCH_KEY.scopes], tier: BENCH_KEY.tier, perMinute: BENCH_KEY.perMinute, perDay: BENCH_KEY.perDay });
    const me = await bench.request(key, { method: 'GET', url: '/v1/me' });
    const baseline = await bench.app.inject({ method: 'GET', url: '/bench/baseline' });
    expect(me.statusCode).toBe(200);
    expect(baseline.statusCode).toBe(200);
    expect(baseline.headers['x-ratelimit-limit']).toBeUndefined();
    const shape = (v: unknown): unknown => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)])) : typeof v);
    expect(shape(baseline.json())).toEqual(shape(me.json()));
    expect(Math.abs(baseline.body.length - me.body.length)).toBeLessThanOrEqual(2);
  });
});
