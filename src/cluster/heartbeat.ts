/**
 * Each serving node upserts its row in `node_heartbeats` every few seconds and
 * counts the rows seen recently. The count lives in the database, not in Redis,
 * so a node still knows N (how many nodes share a budget) during a Redis outage.
 */
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import type { Store } from '../store/db.js';

export const HEARTBEAT_INTERVAL_MS = 5_000;
/** A node not seen for this long no longer counts as live. */
export const LIVE_WINDOW_MS = 15_000;

export class NodeHeartbeat {
  readonly nodeId: string;
  private readonly startedAt: number;
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> | null = null;
  /** Live nodes including this one, as of the last successful beat (at least 1). */
  liveNodes = 1;
  failures = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly intervalMs = HEARTBEAT_INTERVAL_MS,
  ) {
    this.startedAt = clock.now();
    this.nodeId = newId('node', this.startedAt);
  }

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.intervalMs);
    this.timer.unref();
  }

  /** Writes this node's row and recounts; a failure keeps the last count (the database may be down too). */
  beat(): Promise<void> {
    this.beating ??= this.write().finally(() => (this.beating = null));
    return this.beating;
  }

  /** Graceful shutdown: the row goes at once, so the others' N shrinks without waiting out the window. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.beating;
    await this.store.db.deleteFrom('node_heartbeats').where('node_id', '=', this.nodeId).execute().catch(() => {});
  }

  private async write(): Promise<void> {
    const now = this.clock.now();
    try {
      await this.store.db
        .insertInto('node_heartbeats')
        .values({ node_id: this.nodeId, started_at: this.startedAt, seen_at: now })
        .onConflict((oc) => oc.column('node_id').doUpdateSet({ seen_at: now }))
        .execute();
      const row = await this.store.db
        .selectFrom('node_heartbeats')
        .select((eb) => eb.fn.countAll<number>().as('live'))
        .where('seen_at', '>=', now - LIVE_WINDOW_MS)
        .executeTakeFirst();
      this.liveNodes = Math.max(1, Number(row?.live ?? 1));
    } catch {
      this.failures++;
    }
  }
}
