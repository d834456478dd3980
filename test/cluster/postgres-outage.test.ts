/**
 * A node cut off from PostgreSQL by a TCP proxy (the shared server is never
 * touched): cached keys are answered only within 1 s of their last confirmation,
 * then 503 service_unavailable; the node recovers by itself. And a node whose
 * LISTEN connection is killed re-opens it and still sees changes within 1 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { OPERATOR } from '../../src/store/audit-repo.js';
import { type Answer, type Cluster, call, eventually, metric, startCluster } from '../helpers/cluster.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { PG_ADMIN_URL, requireService } from '../helpers/services.js';
import { type TcpProxy, startTcpProxy } from '../helpers/tcp-proxy.js';

const run = await requireService('postgres');

describe.runIf(run)('a node losing PostgreSQL', () => {
  let cluster: Cluster;
  let proxy: TcpProxy;
  let node: ServerProcess;

  beforeAll(async () => {
    cluster = await startCluster(0);
    const target = new URL(cluster.databaseUrl);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    target.port = String(proxy.port);
    node = await cluster.addNode({ ATENDER_DATABASE_URL: target.toString() });
  });
  afterAll(async () => {
    await cluster?.close();
    await proxy?.close();
  });

  it('answers cached keys only within 1 s of their last confirmation, then 503, and recovers when the database is back', async () => {
    const key = await cluster.key({ perMinute: 100_000 });
    expect((await call(`${node.url}/v1/me`, key.key)).status).toBe(200);
    // A change makes the node re-confirm the key from the database on its next request.
    await cluster.runtime.keys.update(key.id, { name: 'renamed' }, OPERATOR);
    expect(await eventually(async () => (await call(`${node.url}/v1/me`, key.key)).body?.name === 'renamed', 5_000)).toBe(true);
    proxy.cut();
    const cutAt = Date.now();
    const answers: Answer[] = [];
    while (Date.now() < cutAt + 2_500) {
      answers.push(await call(`${node.url}/v1/me`, key.key));
      await new Promise((r) => setTimeout(r, 20));
    }
    const unexpected = answers.filter((a) => a.status !== 200 && !(a.status === 503 && a.code === 'service_unavailable'));
    expect(unexpected, node.output()).toEqual([]);
    // Never a 200 for a request sent more than 1 s after the last confirmation (which was before the cut).
    expect(answers.filter((a) => a.status === 200 && a.sentAt > cutAt + 1_000)).toEqual([]);
    expect(answers.filter((a) => a.sentAt > cutAt + 1_000).length).toBeGreaterThan(0);
    console.log(`after the cut: ${answers.filter((a) => a.status === 200).length} answered from the cache (all within 1 s), then ${answers.filter((a) => a.status === 503).length} × 503`);
    const unavailable = answers.find((a) => a.status === 503)!;
    expect(unavailable.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const ready = await fetch(`${node.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ database: 'unreachable', key_feed: 'unhealthy' });
    expect(await metric(node, 'atender_key_feed_healthy')).toBe(0);

    proxy.restore();
    expect(await eventually(async () => (await call(`${node.url}/v1/me`, key.key)).status === 200, 15_000, 100)).toBe(true);
    expect(await eventually(async () => (await fetch(`${node.url}/readyz`)).status === 200, 10_000)).toBe(true);
    expect(await eventually(async () => (await metric(node, 'atender_key_feed_listening')) === 1, 10_000)).toBe(true);
  });

  it('when its LISTEN connection is killed, the node re-opens it and still enforces a change within 1 s', async () => {
    const key = await cluster.key({ perMinute: 100_000 });
    expect((await call(`${node.url}/v1/me`, key.key)).status).toBe(200);
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    const database = new URL(cluster.databaseUrl).pathname.slice(1);
    const killed = await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and query like 'LISTEN%' or (datname = $1 and query = 'select 1')`, [database]);
    await admin.end();
    expect(killed.rowCount).toBeGreaterThan(0);
    expect(await eventually(async () => node.output().includes('LISTEN connection lost'), 5_000)).toBe(true);
    expect(await eventually(async () => (await metric(node, 'atender_key_feed_listening')) === 1, 10_000)).toBe(true);

    const revoked = await cluster.runtime.keys.revoke(key.id, OPERATOR);
    const revokedAt = Date.parse(revoked.revoked_at!);
    let seen: Answer | null = null;
    await eventually(async () => {
      const a = await call(`${node.url}/v1/me`, key.key);
      if (a.code === 'api_key_revoked') seen = a;
      return seen !== null;
    }, 5_000, 5);
    expect(seen).not.toBeNull();
    expect(seen!.receivedAt - revokedAt).toBeLessThan(1_000);
  });
});
