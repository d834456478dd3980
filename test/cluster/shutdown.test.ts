/** SIGTERM: stop accepting, finish in-flight requests, flush usage, remove the heartbeat, exit 0. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, type Cluster, call, startCluster } from '../helpers/cluster.js';
import { requireService } from '../helpers/services.js';

const run = await requireService('postgres');

describe.runIf(run)('graceful shutdown', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(1);
  });
  afterAll(() => cluster?.close());

  it('answers every accepted request, writes its usage and removes its heartbeat before exiting 0', async () => {
    const node = cluster.nodes[0]!;
    const db = cluster.runtime.store.db;
    const key = await cluster.key({ perMinute: 100_000 });
    expect(await db.selectFrom('node_heartbeats').selectAll().execute()).toHaveLength(1);

    let firstAnswered: () => void;
    const oneAnswered = new Promise<void>((resolve) => (firstAnswered = resolve));
    const inFlight: Promise<Answer>[] = Array.from({ length: 200 }, () =>
      call(`${node.url}/v1/me`, key.key).then((a) => {
        firstAnswered();
        return a;
      }),
    );
    await oneAnswered;
    const exited = node.stop('SIGTERM');
    const answers = await Promise.all(inFlight);
    expect(await exited).toBe(0);

    // Answered in full, refused while closing (503), or never connected (0): nothing else, and no 500.
    expect(answers.filter((a) => ![0, 200, 503].includes(a.status))).toEqual([]);
    const ok = answers.filter((a) => a.status === 200).length;
    expect(ok).toBeGreaterThan(1);
    const usage = await db.selectFrom('usage_events').select((eb) => eb.fn.countAll<number>().as('n')).where('key_id', '=', key.id).executeTakeFirstOrThrow();
    expect(Number(usage.n)).toBe(ok);
    expect(await db.selectFrom('node_heartbeats').selectAll().execute()).toHaveLength(0);
    expect(node.output()).toContain('shutting down');
  });
});
