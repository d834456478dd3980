/**
 * The audit log: "expired" is recorded once, off the request path, however many
 * requests and nodes see the expired key; the log refuses changes; and no audit
 * or usage row holds key material beyond the key id and display hint.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyDigest } from '../../src/core/keys.js';
import { buildApp } from '../../src/http/app.js';
import { openServingRuntime } from '../../src/runtime.js';
import { type Actor, listAudit } from '../../src/store/audit-repo.js';
import { ManualClock, type TestApp, startTestApp } from '../helpers/app.js';
import { type TestDatabase, testDatabases } from '../helpers/services.js';

const OPERATOR: Actor = { type: 'operator', id: 'cli:test', ip: null };
const HOUR = 3_600_000;

describe.each(await testDatabases())('audit log on $name', (database: TestDatabase) => {
  let t: TestApp;
  const clock = new ManualClock(Date.UTC(2026, 3, 1, 8));
  beforeAll(async () => {
    t = await startTestApp({ clock, database });
  });
  afterAll(() => t.close());

  const expiredEntries = async (keyId: string) => (await listAudit(t.runtime.store.db, t.org.org.id, 1000)).filter((e) => e.key_id === keyId && e.action === 'api_key.expired');

  it('records "expired" once, on the first use after expiry, even with many requests on two nodes', async () => {
    const key = await t.key({ expiresAt: clock.now() + HOUR });
    const second = await openServingRuntime(t.runtime.config, clock);
    const secondApp = await buildApp(second, { logger: false });
    try {
      clock.advance(HOUR);
      expect(await expiredEntries(key.id)).toHaveLength(0); // time alone writes nothing
      const apps = [t.app, secondApp];
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => apps[i % 2]!.inject({ method: 'GET', url: '/v1/me', remoteAddress: '203.0.113.50', headers: { authorization: `Bearer ${key.key}` } })),
      );
      expect(answers.map((a) => a.json().code)).toEqual(Array(20).fill('api_key_expired'));
      await Promise.all([t.runtime.expiryNotices.idle(), second.expiryNotices.idle()]);
      const entries = await expiredEntries(key.id);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ actor: { type: 'system', id: 'expiry' }, source_ip: '203.0.113.50', before: { status: 'active' }, after: { status: 'expired', expires_at: new Date(clock.now()).toISOString() } });
    } finally {
      await secondApp.close();
      await second.close();
    }
  });

  it('a new expiry that passes again is recorded again', async () => {
    const key = await t.key({ expiresAt: clock.now() + 1000 });
    clock.advance(1000);
    await t.request(key.key, { method: 'GET', url: '/v1/me' });
    await t.runtime.expiryNotices.idle();
    await t.runtime.keys.update(key.id, { expiresAt: clock.now() + 1000 }, OPERATOR);
    expect((await t.request(key.key, { method: 'GET', url: '/v1/me' })).statusCode).toBe(200);
    clock.advance(1000);
    await t.request(key.key, { method: 'GET', url: '/v1/me' });
    await t.request(key.key, { method: 'GET', url: '/v1/me' });
    await t.runtime.expiryNotices.idle();
    expect(await expiredEntries(key.id)).toHaveLength(2);
  });

  it('is append-only: the database refuses to update or delete an entry', async () => {
    await t.key();
    const db = t.runtime.store.db;
    await expect(db.updateTable('audit_log').set({ action: 'forged' }).execute()).rejects.toThrow(/append-only/);
    await expect(db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
    expect((await listAudit(db, t.org.org.id)).length).toBeGreaterThan(0);
  });

  it('no audit or usage row holds a full key, its random part or its digest', async () => {
    const key = await t.key({ scopes: ['knowledge:read'] });
    const rotated = await t.runtime.keys.rotate(key.id, HOUR, OPERATOR);
    for (const secret of [key.key, rotated.key]) {
      await t.request(secret, { method: 'GET', url: '/v1/me' });
      await t.request(secret, { method: 'GET', url: '/v1/knowledge/articles' });
    }
    await t.runtime.keys.update(key.id, { active: false }, OPERATOR);
    await t.request(rotated.key, { method: 'GET', url: '/v1/me' });
    await t.runtime.keys.revoke(key.id, OPERATOR);
    await t.runtime.usage.flush();
    const forbidden = [key.key, rotated.key].flatMap((k) => [k, k.slice(8, 48), keyDigest(k)]);
    let scanned = 0;
    for (const table of ['audit_log', 'usage_event_blocks', 'usage_rollups'] as const) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(t.runtime.store.db);
      expect(rows.rows.length).toBeGreaterThan(0);
      for (const row of rows.rows) {
        const text = JSON.stringify(row);
        scanned++;
        for (const secret of forbidden) expect(text).not.toContain(secret);
      }
    }
    expect(scanned).toBeGreaterThan(10);
    // The hints are the only key material an admin sees there.
    const rotatedEntry = (await listAudit(t.runtime.store.db, t.org.org.id, 1000)).find((e) => e.key_id === key.id && e.action === 'api_key.rotated');
    expect(rotatedEntry).toMatchObject({ before: { hint: key.hint }, after: { hint: rotated.hint } });
  });
});
