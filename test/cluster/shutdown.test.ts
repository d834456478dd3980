/** SIGTERM: stop accepting, finish in-flight requests, flush usage, remove the heartbeat, exit 0. */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, type Cluster, call, startCluster } from '../helpers/cluster.js';
import { requireService } from '../helpers/services.js';
import { readUsageEvents } from '../../src/usage/event-blocks.js';

const run = await requireService('postgres');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(run)('graceful shutdown', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(1);
  });
  afterAll(() => cluster?.close());

  it('finishes a request in flight, refuses new ones, writes usage and removes its heartbeat before exiting 0', async () => {
    const node = cluster.nodes[0]!;
    const db = cluster.runtime.store.db;
    const key = await cluster.key({ perMinute: 100_000, scopes: ['knowledge:write'] });
    expect(await db.selectFrom('node_heartbeats').selectAll().execute()).toHaveLength(1);
    const burst: Answer[] = await Promise.all(Array.from({ length: 20 }, () => call(`${node.url}/v1/me`, key.key)));
    expect(burst.every((a) => a.status === 200)).toBe(true);

    // A write whose body is still arriving when SIGTERM comes.
    const body = JSON.stringify({ title: 'Written during shutdown', body: 'x'.repeat(10_000) });
    const inFlight = new Promise<{ status: number; id: string }>((resolve, reject) => {
      const req = httpRequest(`${node.url}/v1/knowledge/articles`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, id: (JSON.parse(text) as { id: string }).id }));
      });
      req.on('error', reject);
      req.write(body.slice(0, 100));
      void sleep(300).then(async () => {
        exited = node.stop('SIGTERM');
        await sleep(300);
        late = await call(`${node.url}/v1/me`, key.key);
        req.end(body.slice(100));
      });
    });
    let exited: Promise<number | null> | undefined;
    let late: Answer | undefined;
    const written = await inFlight;
    expect(written.status).toBe(201);
    expect(await exited).toBe(0);
    // Arriving after shutdown began: refused (503 on an open connection, or no connection at all).
    expect([0, 503]).toContain(late!.status);
    if (late!.status === 503) {
      expect(late!.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(late!.code).toBe('service_unavailable');
      expect(late!.body?.request_id).toBe(late!.headers.get('request-id'));
    }

    expect(await db.selectFrom('articles').select('title').where('id', '=', written.id).executeTakeFirst()).toEqual({ title: 'Written during shutdown' });
    const usage = await readUsageEvents(db, { keyId: key.id });
    expect(usage.filter((u) => u.route === 'GET /v1/me')).toHaveLength(20);
    expect(usage.filter((u) => u.route === 'POST /v1/knowledge/articles')).toHaveLength(1);
    expect(await db.selectFrom('node_heartbeats').selectAll().execute()).toHaveLength(0);
    expect(node.output()).toContain('shutting down');
  });
});
