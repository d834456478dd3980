/** `GET /manage/v1/audit-log`: who did what to which key, when, from where; the admin's org only. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Page, PageQuery, decodeCursor, toPage } from '../api/v1/pagination.js';
import type { Store } from '../store/db.js';
import { listAudit } from '../store/audit-repo.js';
import { AuditEntry } from './schemas.js';
import { signedIn } from './session-guard.js';
import { SESSION_SECURITY } from './session-routes.js';

export function auditRoutes(store: Store): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/audit-log', { schema: { tags: ['Management: audit log'], summary: 'Key lifecycle events, newest first', security: SESSION_SECURITY, querystring: PageQuery, response: { 200: Page(AuditEntry) } } }, async (request) => {
      const { limit, cursor } = request.query;
      const orgId = signedIn(request).orgId;
      const rows = await listAudit(store.db, orgId, limit + 1, decodeCursor(cursor));
      const adminIds = [...new Set(rows.filter((r) => r.actor.type === 'admin' && r.actor.id).map((r) => r.actor.id!))];
      const admins = adminIds.length ? await store.db.selectFrom('admins').select(['id', 'email']).where('org_id', '=', orgId).where('id', 'in', adminIds).execute() : [];
      const emails = new Map(admins.map((a) => [a.id, a.email]));
      return toPage(rows, limit, (row) => (emails.has(row.actor.id ?? '') ? { ...row, actor: { ...row.actor, email: emails.get(row.actor.id!)! } } : row));
    });
  };
}
