/**
 * push-kb with a key far below what the sync needs: the SDK waits out each 429
 * for its Retry-After and the sync completes. Time is a ManualClock that the
 * SDK's waits advance, so the test takes no wall time and the limiter sees
 * exactly the waits the client chose.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pushKb } from '../../src/cli/push-kb-run.js';
import { Atender } from '../../src/sdk/index.js';
import { ManualClock, type TestApp, startTestApp } from '../helpers/app.js';
import { docsFolder } from '../helpers/docs-folder.js';
import { readUsageEvents } from '../../src/usage/event-blocks.js';

const clock = new ManualClock();
let t: TestApp;
let url: string;

beforeAll(async () => {
  t = await startTestApp({ clock });
  url = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => t?.close());

it('syncs 30 files with a 20-per-minute key by waiting out the 429s', async () => {
  const { key, id } = await t.key({ scopes: ['knowledge:read', 'knowledge:write'], perMinute: 20 });
  const started = clock.now();
  const sleep = async (ms: number) => clock.advance(ms);
  const lines: string[] = [];
  const result = await pushKb({ dir: docsFolder(30), concurrency: 4, client: { apiKey: key, baseUrl: url, sleep, now: () => clock.now() }, out: { write: (s: string) => lines.push(s) } });
  expect(result).toMatchObject({ failed: 0, counts: { create: 30 } });
  expect(lines.join('')).toMatch(/done: 30 created, .* 0 failed/);

  const client = new Atender({ apiKey: key, baseUrl: url, now: () => clock.now(), sleep });
  expect(await client.knowledge.articles.list().toArray()).toHaveLength(30);
  // 32 admitted requests (me, list, 30 creates) at 20 per minute: at least 12 × 3 s of refill were waited for.
  expect(clock.now() - started).toBeGreaterThanOrEqual(36_000);
  await t.runtime.usage.flush();
  const statuses = await readUsageEvents(t.runtime.store.db, { keyId: id });
  expect(statuses.filter((s) => s.status === 429).length).toBeGreaterThan(0);
  expect(statuses.filter((s) => s.status === 201)).toHaveLength(30);
});
