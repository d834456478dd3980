/**
 * The delivery worker inside `atender serve`. It claims due deliveries with a
 * lease (store/webhooks-repo.ts), sends each one signed, records the attempt and
 * decides what follows: delivered, retried later, failed, or the endpoint
 * disabled. Nodes share the work through the database only; a node that dies
 * mid-attempt leaves a lease that runs out, and another node sends it again.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { WebhookConfig } from '../config.js';
import type { Clock } from '../core/clock.js';
import { DISABLE_AFTER_FAILING_MS, RESPONSE_LOG_LIMIT, nextRetryDelay } from '../core/webhooks.js';
import { type Actor, appendAudit } from '../store/audit-repo.js';
import type { Store } from '../store/db.js';
import { type ClaimedDelivery, claimDueDeliveries, insertAttempt, loadClaimed, settleDelivery } from '../store/webhooks-repo.js';
import { type PostResult, postJson } from './http-post.js';
import { onEventsCommitted } from './outbox.js';
import type { SecretBox } from './secrets.js';
import { signDelivery } from './signer.js';
import { type TargetGuard, TargetRefused } from './target-guard.js';

export const WEBHOOK_SYSTEM: Actor = { type: 'system', id: 'webhooks', ip: null };
const MAX_ATTEMPT_MS = 15_000;

export interface DispatcherLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const quiet: DispatcherLog = { info() {}, warn() {} };

export class WebhookDispatcher {
  private running = false;
  private pumping = false;
  private again = false;
  private claimFailing = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly aborter = new AbortController();
  private poll: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  readonly attemptTimeoutMs: number;
  /** Attempts this node made (recorded ones), by what followed them, and endpoints it switched off. */
  readonly stats = {
    delivered: 0,
    retried: 0,
    failed: 0,
    endpointsDisabled: 0,
    get attempts(): number {
      return this.delivered + this.retried + this.failed;
    },
  };

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly config: WebhookConfig,
    private readonly guard: TargetGuard,
    private readonly secrets: SecretBox,
    public log: DispatcherLog = quiet,
  ) {
    // Every attempt in flight listens for the shutdown abort.
    setMaxListeners(0, this.aborter.signal);
    // A live node must always finish (or give up) well before its lease runs out.
    this.attemptTimeoutMs = Math.min(MAX_ATTEMPT_MS, Math.floor(config.leaseMs / 2));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = onEventsCommitted(() => void this.pump());
    this.poll = setInterval(() => void this.pump(), this.config.pollMs);
    this.poll.unref();
    void this.pump();
  }

  /** Stops claiming; waits up to `graceMs` for attempts in flight, then aborts them and hands their deliveries back. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    if (this.poll) clearInterval(this.poll);
    const all = Promise.allSettled([...this.inFlight]);
    const timer = setTimeout(() => this.aborter.abort(), graceMs);
    await all;
    clearTimeout(timer);
  }

  /** Sends everything due now and waits for it (tests and tools; `start` does this continuously). */
  async runDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const claimed = await this.claim(this.config.concurrency);
      if (claimed.length === 0) return total;
      total += claimed.length;
      await Promise.all(claimed.map((d) => this.attempt(d)));
    }
  }

  private async pump(): Promise<void> {
    if (!this.running) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        const room = this.config.concurrency - this.inFlight.size;
        if (room <= 0) break;
        const claimed = await this.claim(room);
        for (const delivery of claimed) this.track(this.attempt(delivery));
        if (claimed.length === room) this.again = true;
      } while (this.again && this.running);
      if (this.claimFailing) this.log.info({}, 'webhook dispatcher: claiming deliveries works again');
      this.claimFailing = false;
    } catch (error) {
      // Once per outage, not once per poll.
      if (!this.claimFailing) this.log.warn({ err: (error as Error).message }, 'webhook dispatcher: claiming deliveries failed; retrying at every poll');
      this.claimFailing = true;
    } finally {
      this.pumping = false;
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => {
      this.inFlight.delete(work);
      // Refill in batches rather than one claim query per finished attempt.
      if (this.inFlight.size <= this.config.concurrency / 2) void this.pump();
    });
  }

  private async claim(limit: number): Promise<ClaimedDelivery[]> {
    const now = this.clock.now();
    const rows = await claimDueDeliveries(this.store, now, now + this.config.leaseMs, randomUUID(), limit);
    return loadClaimed(this.store.db, rows.map((r) => r.id));
  }

  private async attempt(d: ClaimedDelivery): Promise<void> {
    const token = d.claim_token!;
    try {
      if (d.url === null || d.enabled !== 1) {
        await settleDelivery(this.store.db, d.id, token, { status: 'failed', last_error: 'the endpoint is disabled or deleted', updated_at: this.clock.now(), completed_at: this.clock.now() });
        return;
      }
      const startedAt = this.clock.now();
      const t0 = performance.now();
      const result = await this.send(d, startedAt);
      if (this.aborter.signal.aborted && result.status === null) {
        // Shutting down: not the receiver's failure. Hand it back for another node now.
        await settleDelivery(this.store.db, d.id, token, { next_attempt_at: this.clock.now() });
        return;
      }
      await this.record(d, token, startedAt, performance.now() - t0, result);
    } catch (error) {
      this.log.warn({ delivery_id: d.id, err: (error as Error).message }, 'webhook attempt could not be recorded; it is retried when its lease ends');
    }
  }

  /** Never throws: a refused target or an unreadable secret is a failed attempt like any other, and is retried. */
  private async send(d: ClaimedDelivery, now: number): Promise<PostResult> {
    let target;
    let headers;
    try {
      target = await this.guard.check(d.url!);
      const secrets = [this.secrets.open(d.secret_sealed!)];
      if (d.previous_secret_sealed && d.previous_secret_expires_at !== null && d.previous_secret_expires_at > now) secrets.push(this.secrets.open(d.previous_secret_sealed));
      headers = signDelivery(d.event_id, now, d.payload, secrets);
    } catch (error) {
      const reason = error instanceof TargetRefused ? `refused: ${error.message}` : `not sent: ${(error as Error).message}`;
      return { status: null, body: '', truncated: false, error: reason };
    }
    return postJson(target, { ...headers }, d.payload, this.attemptTimeoutMs, this.aborter.signal);
  }

  private async record(d: ClaimedDelivery, token: string, startedAt: number, latencyMs: number, result: PostResult): Promise<void> {
    const now = this.clock.now();
    const attempt = d.attempts + 1;
    const delivered = result.status !== null && result.status >= 200 && result.status < 300;
    const gone = result.status === 410;
    const retryIn = delivered || gone ? null : nextRetryDelay(attempt, this.config.retryScheduleMs, Math.random());
    const failingFor = d.failing_since === null ? 0 : now - d.failing_since;
    const disableReason = gone ? 'gone' : !delivered && failingFor >= DISABLE_AFTER_FAILING_MS ? 'failing' : null;
    const responseBody = result.body.length > RESPONSE_LOG_LIMIT ? result.body.slice(0, RESPONSE_LOG_LIMIT) : result.body;
    let disabledHere = false;
    const counted = await this.store.db.transaction().execute(async (tx) => {
      await insertAttempt(tx, {
        deliveryId: d.id,
        endpointId: d.endpoint_id,
        attempt,
        startedAt,
        latencyMs: Math.round(latencyMs * 100) / 100,
        statusCode: result.status,
        responseBody: result.status === null ? null : responseBody,
        truncated: result.truncated || result.body.length > RESPONSE_LOG_LIMIT,
        error: result.error,
      });
      const settled = await settleDelivery(tx, d.id, token, {
        attempts: attempt,
        status: delivered ? 'delivered' : retryIn === null ? 'failed' : 'pending',
        next_attempt_at: retryIn === null ? now : now + retryIn,
        last_status: result.status,
        last_error: result.error,
        updated_at: now,
        completed_at: retryIn === null ? now : null,
      });
      if (!settled) return false;
      // The endpoint row is touched only when its health changes, so concurrent successes do not queue on it.
      const endpoint = tx.updateTable('webhook_endpoints').where('id', '=', d.endpoint_id);
      if (delivered && d.failing_since !== null) await endpoint.set({ failing_since: null }).execute();
      if (!delivered && d.failing_since === null) await endpoint.set({ failing_since: now }).where('failing_since', 'is', null).execute();
      if (disableReason) {
        const disabled = await tx.updateTable('webhook_endpoints').set({ enabled: 0, disabled_reason: disableReason, updated_at: now }).where('id', '=', d.endpoint_id).where('enabled', '=', 1).executeTakeFirst();
        if (Number(disabled.numUpdatedRows) > 0) {
          disabledHere = true;
          const why = disableReason === 'gone' ? 'the receiver answered 410 Gone' : 'every delivery failed for 5 days';
          await appendAudit(tx, WEBHOOK_SYSTEM, { orgId: d.org_id!, tenantId: d.tenant_id, action: 'webhook_endpoint.disabled', before: { enabled: true }, after: { enabled: false, endpoint_id: d.endpoint_id, url: d.url, reason: disableReason, detail: why } }, now);
          this.log.warn({ endpoint_id: d.endpoint_id, reason: disableReason }, `webhook endpoint disabled: ${why}`);
        }
      }
      return true;
    });
    // Counted once committed, and only when this node still held the delivery.
    if (!counted) return;
    if (disabledHere) this.stats.endpointsDisabled++;
    if (delivered) this.stats.delivered++;
    else if (retryIn === null) this.stats.failed++;
    else this.stats.retried++;
  }
}
