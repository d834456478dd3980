/** Append-only audit rows, written inside the transaction of the change they describe. */
import { newId } from '../core/ids.js';
import type { Db } from './keys-repo.js';

export interface Actor {
  type: 'admin' | 'operator' | 'system' | 'api_key';
  id: string | null;
  ip: string | null;
}

export const OPERATOR: Actor = { type: 'operator', id: 'cli', ip: null };

export interface AuditEntry {
  orgId: string;
  tenantId?: string | null;
  keyId?: string | null;
  action: string;
  before?: unknown;
  after?: unknown;
}

export async function appendAudit(db: Db, actor: Actor, entry: AuditEntry, now: number): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      id: newId('aud', now),
      org_id: entry.orgId,
      tenant_id: entry.tenantId ?? null,
      key_id: entry.keyId ?? null,
      action: entry.action,
      actor_type: actor.type,
      actor_id: actor.id,
      source_ip: actor.ip,
      before_json: entry.before === undefined ? null : JSON.stringify(entry.before),
      after_json: entry.after === undefined ? null : JSON.stringify(entry.after),
      created_at: now,
    })
    .execute();
}

export interface AuditView {
  id: string;
  action: string;
  key_id: string | null;
  tenant_id: string | null;
  actor: { type: string; id: string | null };
  source_ip: string | null;
  before: unknown;
  after: unknown;
  created_at: string;
}

export async function listAudit(db: Db, orgId: string, limit = 100, before?: string): Promise<AuditView[]> {
  let q = db.selectFrom('audit_log').selectAll().where('org_id', '=', orgId);
  if (before) q = q.where('id', '<', before);
  const rows = await q.orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => ({
    id: r.id,
    action: r.action,
    key_id: r.key_id,
    tenant_id: r.tenant_id,
    actor: { type: r.actor_type, id: r.actor_id },
    source_ip: r.source_ip,
    before: r.before_json === null ? null : JSON.parse(r.before_json),
    after: r.after_json === null ? null : JSON.parse(r.after_json),
    created_at: new Date(r.created_at).toISOString(),
  }));
}
