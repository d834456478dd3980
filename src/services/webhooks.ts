/**
 * Webhook endpoint rules shared by the CLI and the management API: create (the
 * signing secret is shown once), change, delete, rotate the secret with an
 * overlap, read the delivery log, retry a delivery, replay a time range.
 */
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import type { Environment } from '../core/keys.js';
import { ApiError } from '../core/problems.js';
import { type WebhookEventType, parseEventTypes } from '../core/webhooks.js';
import { type Actor, appendAudit } from '../store/audit-repo.js';
import type { Store } from '../store/db.js';
import { type AttemptRow, type DeliveryWithType, type EndpointRow, attemptsOf, deleteEndpointCascade, findDelivery, findEndpoint, listDeliveries, listEndpoints } from '../store/webhooks-repo.js';
import { inTransaction } from '../store/transactions.js';
import { markDeliveriesWritten, pendingDelivery } from '../webhooks/outbox.js';
import { type SecretBox, generateSigningSecret } from '../webhooks/secrets.js';
import { type TargetGuard, TargetRefused } from '../webhooks/target-guard.js';
import { isoTime as iso } from '../core/iso-time.js';

export const DEFAULT_OVERLAP_MS = 86_400_000;
export const MAX_OVERLAP_MS = 7 * 86_400_000;
export const MAX_ENDPOINTS_PER_ORG = 50;
export const MAX_REPLAY_EVENTS = 10_000;

/** Who switched an endpoint off: an admin, the receiver (410 Gone), or 5 days of failures. */
export type DisabledReason = 'admin' | 'gone' | 'failing';

export interface EndpointView {
  id: string;
  url: string;
  environment: Environment;
  events: WebhookEventType[];
  enabled: boolean;
  disabled_reason: DisabledReason | null;
  /** While a rotation's overlap runs, deliveries carry both signatures until this time. */
  previous_secret_expires_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface CreatedEndpoint extends EndpointView {
  /** `whsec_...`, shown exactly once. */
  secret: string;
}

export interface AttemptView {
  attempt: number;
  at: string;
  status_code: number | null;
  latency_ms: number;
  response_body: string | null;
  response_truncated: boolean;
  error: string | null;
}

export interface DeliveryView {
  id: string;
  event_id: string;
  event_type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempt_count: number;
  next_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  completed_at: string | null;
  attempts: AttemptView[];
}

export interface EndpointPatch {
  url?: string;
  events?: readonly string[];
  enabled?: boolean;
}


function badInput(path: string, message: string): ApiError {
  return new ApiError('invalid_request', `${path} ${message}`, { errors: [{ path, message }] });
}

export class WebhookService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly guard: TargetGuard,
    private readonly box: SecretBox,
  ) {}

  async create(input: { orgId: string; environment: Environment; url: string; events: readonly string[] }, actor: Actor): Promise<CreatedEndpoint> {
    const url = await this.checkedUrl(input.url);
    const events = validEvents(input.events);
    const now = this.clock.now();
    const tenant = await this.store.db.selectFrom('tenants').select('id').where('org_id', '=', input.orgId).where('environment', '=', input.environment).executeTakeFirst();
    if (!tenant) throw new ApiError('not_found', `org ${input.orgId} not found`);
    if ((await listEndpoints(this.store.db, input.orgId)).length >= MAX_ENDPOINTS_PER_ORG) throw new ApiError('conflict', `an org may have at most ${MAX_ENDPOINTS_PER_ORG} webhook endpoints`);
    const secret = generateSigningSecret();
    const row: EndpointRow = {
      id: newId('whe', now),
      org_id: input.orgId,
      tenant_id: tenant.id,
      environment: input.environment,
      url,
      events: JSON.stringify(events),
      enabled: 1,
      disabled_reason: null,
      secret_sealed: this.box.seal(secret),
      previous_secret_sealed: null,
      previous_secret_expires_at: null,
      failing_since: null,
      created_at: now,
      updated_at: now,
    };
    await inTransaction(this.store.db, async (tx) => {
      await tx.insertInto('webhook_endpoints').values(row).execute();
      await appendAudit(tx, actor, { orgId: input.orgId, tenantId: tenant.id, action: 'webhook_endpoint.created', after: { endpoint_id: row.id, url, environment: input.environment, events } }, now);
    });
    return { ...endpointView(row), secret };
  }

  async list(orgId: string, environment?: Environment): Promise<EndpointView[]> {
    return (await listEndpoints(this.store.db, orgId, environment)).map(endpointView);
  }

  async require(id: string, orgId?: string): Promise<EndpointView> {
    return endpointView(await this.row(id, orgId));
  }

  async update(id: string, patch: EndpointPatch, actor: Actor, orgId?: string): Promise<EndpointView> {
    const before = await this.row(id, orgId);
    const now = this.clock.now();
    const changes: Partial<EndpointRow> = {};
    if (patch.url !== undefined) changes.url = await this.checkedUrl(patch.url);
    if (patch.events !== undefined) changes.events = JSON.stringify(validEvents(patch.events));
    if (patch.enabled !== undefined) {
      changes.enabled = patch.enabled ? 1 : 0;
      // Enabling again starts afresh; disabling by hand says who did it.
      changes.disabled_reason = patch.enabled ? null : 'admin';
      if (patch.enabled) changes.failing_since = null;
    }
    if (Object.keys(changes).length === 0) return endpointView(before);
    const after = { ...before, ...changes, updated_at: now };
    await inTransaction(this.store.db, async (tx) => {
      await tx.updateTable('webhook_endpoints').set({ ...changes, updated_at: now }).where('id', '=', id).execute();
      await appendAudit(tx, actor, { orgId: before.org_id, tenantId: before.tenant_id, action: 'webhook_endpoint.updated', before: auditShape(before), after: auditShape(after) }, now);
    });
    return endpointView(after);
  }

  async remove(id: string, actor: Actor, orgId?: string): Promise<void> {
    const before = await this.row(id, orgId);
    await inTransaction(this.store.db, async (tx) => {
      await deleteEndpointCascade(tx, id);
      await appendAudit(tx, actor, { orgId: before.org_id, tenantId: before.tenant_id, action: 'webhook_endpoint.deleted', before: auditShape(before) }, this.clock.now());
    });
  }

  /** A new secret signs at once; the old one keeps signing too for `overlapMs`, so receivers can switch without a gap. */
  async rotateSecret(id: string, overlapMs: number, actor: Actor, orgId?: string): Promise<CreatedEndpoint> {
    if (!Number.isInteger(overlapMs) || overlapMs < 0 || overlapMs > MAX_OVERLAP_MS) throw badInput('overlap', 'must be between 0 and 7 days');
    const before = await this.row(id, orgId);
    const now = this.clock.now();
    const secret = generateSigningSecret();
    const changes = { secret_sealed: this.box.seal(secret), previous_secret_sealed: overlapMs > 0 ? before.secret_sealed : null, previous_secret_expires_at: overlapMs > 0 ? now + overlapMs : null, updated_at: now };
    await inTransaction(this.store.db, async (tx) => {
      await tx.updateTable('webhook_endpoints').set(changes).where('id', '=', id).execute();
      await appendAudit(tx, actor, { orgId: before.org_id, tenantId: before.tenant_id, action: 'webhook_endpoint.secret_rotated', after: { endpoint_id: id, overlap_seconds: overlapMs / 1000 } }, now);
    });
    return { ...endpointView({ ...before, ...changes }), secret };
  }

  /** Newest first, `limit + 1` rows so the caller can tell whether a next page exists. */
  async deliveries(endpointId: string, limit: number, afterId?: string, orgId?: string): Promise<DeliveryView[]> {
    await this.row(endpointId, orgId);
    return this.withAttempts(await listDeliveries(this.store.db, endpointId, limit, afterId));
  }

  /** One more attempt now, continuing the retry schedule where it stopped. */
  async retry(endpointId: string, deliveryId: string, actor: Actor, orgId?: string): Promise<DeliveryView> {
    const endpoint = await this.row(endpointId, orgId);
    if (endpoint.enabled !== 1) throw new ApiError('conflict', `endpoint ${endpointId} is disabled; enable it before retrying`);
    const now = this.clock.now();
    await inTransaction(this.store.db, async (tx) => {
      const result = await tx
        .updateTable('webhook_deliveries')
        .set({ status: 'pending', next_attempt_at: now, completed_at: null, updated_at: now })
        .where('id', '=', deliveryId)
        .where('endpoint_id', '=', endpointId)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw new ApiError('not_found', `no delivery ${deliveryId} for endpoint ${endpointId}`);
      await appendAudit(tx, actor, { orgId: endpoint.org_id, tenantId: endpoint.tenant_id, action: 'webhook_delivery.retried', after: { endpoint_id: endpointId, delivery_id: deliveryId } }, now);
      markDeliveriesWritten();
    });
    const [view] = await this.withAttempts([(await findDelivery(this.store.db, endpointId, deliveryId))!]);
    return view!;
  }

  /** Sends again every event of the endpoint's tenant and types created in [since, until), as new deliveries. */
  async replay(endpointId: string, range: { since: number; until?: number | undefined }, actor: Actor, orgId?: string): Promise<{ replayed: number }> {
    const endpoint = await this.row(endpointId, orgId);
    if (endpoint.enabled !== 1) throw new ApiError('conflict', `endpoint ${endpointId} is disabled; enable it before replaying`);
    const now = this.clock.now();
    const until = range.until ?? now + 1;
    if (!(range.since < until)) throw badInput('since', 'must be before until');
    const events = await this.store.db
      .selectFrom('webhook_events')
      .select('id')
      .where('tenant_id', '=', endpoint.tenant_id)
      .where('type', 'in', JSON.parse(endpoint.events) as string[])
      .where('created_at', '>=', range.since)
      .where('created_at', '<', until)
      .orderBy('created_at')
      .limit(MAX_REPLAY_EVENTS + 1)
      .execute();
    if (events.length > MAX_REPLAY_EVENTS) throw badInput('since', `the range holds more than ${MAX_REPLAY_EVENTS} events; replay a shorter range`);
    await inTransaction(this.store.db, async (tx) => {
      for (let i = 0; i < events.length; i += 500) {
        await tx.insertInto('webhook_deliveries').values(events.slice(i, i + 500).map((e) => pendingDelivery(endpointId, e.id, endpoint.tenant_id, now))).execute();
      }
      await appendAudit(tx, actor, { orgId: endpoint.org_id, tenantId: endpoint.tenant_id, action: 'webhook_endpoint.replayed', after: { endpoint_id: endpointId, since: iso(range.since), until: iso(until), events: events.length } }, now);
      if (events.length > 0) markDeliveriesWritten();
    });
    return { replayed: events.length };
  }

  private async withAttempts(rows: DeliveryWithType[]): Promise<DeliveryView[]> {
    const attempts = await attemptsOf(this.store.db, rows.map((r) => r.id));
    return rows.map((r) => deliveryView(r, attempts.filter((a) => a.delivery_id === r.id)));
  }

  private async row(id: string, orgId?: string): Promise<EndpointRow> {
    const row = await findEndpoint(this.store.db, id, orgId);
    if (!row) throw new ApiError('not_found', `webhook endpoint ${id} not found`);
    return row;
  }

  private async checkedUrl(text: string): Promise<string> {
    try {
      return (await this.guard.check(text.trim())).url.toString();
    } catch (error) {
      if (error instanceof TargetRefused) throw badInput('url', error.message);
      throw error;
    }
  }
}

function validEvents(names: readonly string[]): WebhookEventType[] {
  const parsed = parseEventTypes(names);
  if ('unknown' in parsed) throw badInput('events', `unknown event type(s): ${parsed.unknown.join(', ')}`);
  if (parsed.events.length === 0) throw badInput('events', 'must name at least one event type');
  return parsed.events;
}

function auditShape(row: EndpointRow) {
  return { endpoint_id: row.id, url: row.url, events: JSON.parse(row.events) as string[], enabled: row.enabled === 1 };
}

export function endpointView(row: EndpointRow): EndpointView {
  return {
    id: row.id,
    url: row.url,
    environment: row.environment,
    events: JSON.parse(row.events) as WebhookEventType[],
    enabled: row.enabled === 1,
    disabled_reason: row.disabled_reason as DisabledReason | null,
    previous_secret_expires_at: iso(row.previous_secret_expires_at),
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
}

function deliveryView(row: DeliveryWithType, attempts: AttemptRow[]): DeliveryView {
  return {
    id: row.id,
    event_id: row.event_id,
    event_type: row.type,
    status: row.status,
    attempt_count: row.attempts,
    next_attempt_at: row.status === 'pending' ? iso(row.next_attempt_at) : null,
    last_status: row.last_status,
    last_error: row.last_error,
    created_at: iso(row.created_at)!,
    completed_at: iso(row.completed_at),
    attempts: attempts.map((a) => ({
      attempt: a.attempt,
      at: iso(a.started_at)!,
      status_code: a.status_code,
      latency_ms: a.latency_ms,
      response_body: a.response_body,
      response_truncated: a.response_truncated === 1,
      error: a.error,
    })),
  };
}
