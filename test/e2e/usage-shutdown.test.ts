/**
 * A real `atender serve` process: usage still buffered when it gets SIGTERM is
 * written before it exits (`npm run build` first).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openRuntime } from '../../src/runtime.js';
import { OPERATOR } from '../../src/store/audit-repo.js';
import { startServer } from '../helpers/server-process.js';
import { readUsageEvents } from '../../src/usage/event-blocks.js';

describe('graceful shutdown', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atender-shutdown-'));
  const databaseUrl = join(dir, 'shutdown.db');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('N requests then SIGTERM: all N usage rows and their rollups are in the database', async () => {
    const setup = await openRuntime({ ...loadConfig({}), databaseUrl });
    const org = await setup.orgs.create('Shutdown');
    const key = await setup.keys.create({ orgId: org.org.id, environment: 'production', name: 'load', scopes: [], perMinute: 100_000 }, OPERATOR);
    await setup.close();

    // The longest flush interval allowed, so the rows must come from the shutdown flush.
    const server = await startServer({ ATENDER_DATABASE_URL: databaseUrl, ATENDER_USAGE_FLUSH_MS: '4000' }, ['--no-seed']);
    const N = 300;
    let ok = 0;
    try {
      for (let i = 0; i < N; i += 30) {
        const answers = await Promise.all(Array.from({ length: 30 }, () => fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${key.key}` } })));
        ok += answers.filter((r) => r.status === 200).length;
      }
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
    expect(ok).toBe(N);

    const check = await openRuntime({ ...loadConfig({}), databaseUrl });
    try {
      expect(await readUsageEvents(check.store.db, { keyId: key.id })).toHaveLength(N);
      const rolled = await check.store.db.selectFrom('usage_rollups').select((eb) => eb.fn.sum<number>('count').as('n')).where('key_id', '=', key.id).where('period', '=', 'minute').executeTakeFirstOrThrow();
      expect(Number(rolled.n)).toBe(N);
      expect((await check.keys.require(key.id)).last_used_at).not.toBeNull();
    } finally {
      await check.close();
    }
  });
});
