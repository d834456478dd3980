/**
 * Durability across real processes and real databases: a node killed mid-delivery,
 * a node shutting down gracefully, and two nodes sharing one PostgreSQL database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config.js';
import { type Runtime, type ServingRuntime, openRuntime, openServingRuntime } from '../../src/runtime.js';
import { KnowledgeService } from '../../src/services/knowledge.js';
import { OPERATOR } from '../../src/store/audit-repo.js';
import { startServer } from '../helpers/server-process.js';
import { freshPostgresDatabase, requireService } from '../helpers/services.js';
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.js';

async function setUp(url: string, receiver: Receiver) {
  const rt = await openRuntime({ ...loadConfig({}), databaseUrl: url, webhooksAllowPrivate: true });
  try {
    const org = await rt.orgs.create(`Durable ${Math.random().toString(36).slice(2, 8)}`);
    const endpoint = await rt.webhooks.create({ orgId: org.org.id, environment: 'sandbox', url: receiver.url, events: ['article.published'] }, OPERATOR);
    const key = await rt.keys.create({ orgId: org.org.id, environment: 'sandbox', name: 'writer', scopes: ['knowledge:write'] }, OPERATOR);
    return { org, endpoint, key: key.key, tenantId: org.tenants.sandbox.id };
  } finally {
    await rt.close();
  }
}

async function deliveriesOf(url: string, endpointId: string) {
  const rt: Runtime = await openRuntime({ ...loadConfig({}), databaseUrl: url });
  try {
    return await rt.webhooks.deliveries(endpointId, 100);
  } finally {
    await rt.close();
  }
}

describe('a server process dying or stopping mid-delivery (needs `npm run build`)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atender-wh-durable-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const publish = (server: { url: string }, key: string, title: string) =>
    fetch(`${server.url}/v1/knowledge/articles`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ title, body: 'x', status: 'published' }) });

  /** Publishes through a real server, stops it with `signal` while the receiver holds the request, starts another. */
  async function interrupted(name: string, lease: string, signal: NodeJS.Signals) {
    const db = join(dir, `${name}.db`);
    const receiver = await startReceiver(['hang', { status: 200 }]);
    try {
      const { endpoint, key } = await setUp(db, receiver);
      const env = { ATENDER_DATABASE_URL: db, ATENDER_WEBHOOKS_ALLOW_PRIVATE: '1', ATENDER_WEBHOOK_LEASE: lease };
      const first = await startServer(env, ['--no-seed']);
      expect((await publish(first, key, `Survives ${signal}`)).status).toBe(201);
      await receiver.waitFor(1);
      const exitCode = await first.stop(signal);
      const second = await startServer(env, ['--no-seed']);
      try {
        await receiver.waitFor(2);
      } finally {
        await second.stop();
      }
      const [delivery] = await deliveriesOf(db, endpoint.id);
      return { received: [...receiver.received], headersOf: receiver.headersOf, endpoint, delivery, exitCode };
    } finally {
      await receiver.close();
    }
  }

  it('SIGKILL while the receiver holds the request: the next server sends it again after the lease', async () => {
    const { received, headersOf, endpoint, delivery } = await interrupted('kill', '2s', 'SIGKILL');
    const [a, b] = received;
    expect(b!.headers['webhook-id']).toBe(a!.headers['webhook-id']);
    expect(b!.body).toBe(a!.body);
    new Webhook(endpoint.secret).verify(b!.body, headersOf(b!));
    expect(delivery).toMatchObject({ status: 'delivered', attempts: [{ status_code: 200 }] });
  }, 90_000);

  it('SIGTERM hands an unfinished attempt back at once instead of waiting out the lease', async () => {
    // A 10-minute lease: only the hand-back lets the second server send it within the test.
    const { received, delivery, exitCode } = await interrupted('term', '10m', 'SIGTERM');
    expect(exitCode).toBe(0);
    expect(received[1]!.headers['webhook-id']).toBe(received[0]!.headers['webhook-id']);
    expect(delivery).toMatchObject({ status: 'delivered', attempt_count: 1 });
  }, 90_000);
});

describe('two nodes on one PostgreSQL database', async () => {
  const run = await requireService('postgres');
  let pgDb: { url: string; drop: () => Promise<void> };
  let nodes: ServingRuntime[] = [];
  let receiver: Receiver;

  beforeAll(async () => {
    if (!run) return;
    pgDb = await freshPostgresDatabase();
    receiver = await startReceiver([{ status: 204 }]);
  });
  afterAll(async () => {
    if (!run) return;
    await Promise.all(nodes.map((n) => n.close()));
    await receiver.close();
    await pgDb.drop();
  });

  it.runIf(run)('deliver every event exactly once (FOR UPDATE SKIP LOCKED claims)', async () => {
    const { endpoint, tenantId } = await setUp(pgDb.url, receiver);
    const config: Config = { ...loadConfig({}), databaseUrl: pgDb.url, webhooksAllowPrivate: true, logLevel: 'silent' };
    config.webhooks = { ...config.webhooks, concurrency: 8, pollMs: 10 };
    nodes = [await openServingRuntime(config), await openServingRuntime(config)];
    for (const n of nodes) n.dispatcher.start();
    const events = 300;
    const writers = nodes.map((n) => new KnowledgeService(n.store, n.clock));
    await Promise.all(
      Array.from({ length: 10 }, (_, w) =>
        (async () => {
          for (let i = w; i < events; i += 10) await writers[i % 2]!.create(tenantId, { title: `Article ${i}`, body: 'x', status: 'published' });
        })(),
      ),
    );
    await receiver.waitFor(events, 60_000);
    // Give a duplicate, if any, time to show up.
    await new Promise((r) => setTimeout(r, 500));
    const ids = receiver.received.map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(events);
    expect(new Set(ids).size).toBe(events);
    const attempts = nodes.map((n) => n.dispatcher.stats.attempts);
    expect(attempts[0]! + attempts[1]!).toBe(events);
    const log = await nodes[0]!.webhooks.deliveries(endpoint.id, 100);
    expect(log.every((d) => d.status === 'delivered' && d.attempts.length === 1)).toBe(true);
  }, 120_000);
});
