/**
 * Migration 010 on a database written the old way (last-used times kept in
 * api_key_secrets): every time that was there is still shown per secret and per
 * key afterwards, a secret never used still shows none, and the usage writer
 * then raises them in the new table without ever lowering one.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { KeyService } from '../../src/services/keys.js';
import { OrgService } from '../../src/services/orgs.js';
import { OPERATOR } from '../../src/store/audit-repo.js';
import { EPOCH_MS } from '../../src/store/dialect.js';
import { migrate } from '../../src/store/db.js';
import { type UsageEvent, writeUsageBatch } from '../../src/usage/writer.js';
import { type TestDatabase, suiteStore, testDatabases } from '../helpers/services.js';

const T0 = Date.UTC(2026, 4, 1, 9);

describe.each(await testDatabases())('migration 010 (last-use table) on $name', (database: TestDatabase) => {
  const clock = new ManualClock(T0);
  const storeOf = suiteStore(database);

  it('moves every last-used time to the new table; keys and secrets show the same times as before', async () => {
    const keys = new KeyService(storeOf(), clock);
    const { org } = await new OrgService(storeOf(), clock).create('Last Use Co');
    const used = await keys.create({ orgId: org.id, environment: 'sandbox', name: 'used', scopes: [] }, OPERATOR);
    await keys.rotate(used.id, 3_600_000, OPERATOR);
    const unused = await keys.create({ orgId: org.id, environment: 'sandbox', name: 'unused', scopes: [] }, OPERATOR);
    const [newer, older] = (await keys.get(used.id))!.secrets; // newest first

    // Back to the schema before 010, with times in the old column.
    await storeOf().db.schema.dropTable('api_key_last_use').execute();
    await storeOf().db.schema.alterTable('api_key_secrets').addColumn('last_used_at', EPOCH_MS).execute();
    const setOld = (id: string, ts: number) => sql`update api_key_secrets set last_used_at = ${ts} where id = ${id}`.execute(storeOf().db);
    await setOld(older!.id, T0 - 50_000);
    await setOld(newer!.id, T0 - 20_000);
    await storeOf().db.deleteFrom('kysely_migration' as never).where('name' as never, '=', '010-last-use-table' as never).execute();

    await migrate(storeOf());

    const after = (await keys.get(used.id))!;
    expect(after.last_used_at).toBe(new Date(T0 - 20_000).toISOString());
    expect(after.secrets.map((s) => [s.id, s.last_used_at])).toEqual([
      [newer!.id, new Date(T0 - 20_000).toISOString()],
      [older!.id, new Date(T0 - 50_000).toISOString()],
    ]);
    expect((await keys.get(unused.id))!).toMatchObject({ last_used_at: null, secrets: [{ last_used_at: null }] });
    expect(await storeOf().db.selectFrom('api_key_last_use').select('secret_id').orderBy('secret_id').execute()).toHaveLength(2);
    // The old column is gone: one place holds the time.
    await expect(sql`select last_used_at from api_key_secrets`.execute(storeOf().db)).rejects.toThrow();

    // The writer raises a time and never lowers one (a batch from a node whose events are older).
    const use = (secretId: string, ts: number): UsageEvent => ({ keyId: used.id, secretId, ts, method: 'GET', route: 'GET /v1/me', requiredScopes: '', status: 200, latencyMs: 1, ip: null });
    await writeUsageBatch(storeOf().db, [use(newer!.id, T0 + 5_000), use(unused.secrets[0]!.id, T0 + 7_000)]);
    await writeUsageBatch(storeOf().db, [use(newer!.id, T0 - 90_000), use(older!.id, T0 - 90_000)]);
    expect((await keys.get(used.id))!.secrets.map((s) => s.last_used_at)).toEqual([new Date(T0 + 5_000).toISOString(), new Date(T0 - 50_000).toISOString()]);
    expect((await keys.get(unused.id))!.last_used_at).toBe(new Date(T0 + 7_000).toISOString());
  });
});
