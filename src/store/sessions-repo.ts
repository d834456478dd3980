/** Admin sessions and failed sign-ins: the queries, nothing else. Rules live in services/admin-sessions.ts. */
import type { Selectable } from 'kysely';
import type { Db } from './keys-repo.js';
import type { AdminSessionsTable } from './schema.js';

export type SessionRow = Selectable<AdminSessionsTable>;

export async function insertSession(db: Db, row: SessionRow): Promise<void> {
  await db.insertInto('admin_sessions').values(row).execute();
}

export async function findSessionByDigest(db: Db, tokenDigest: string): Promise<(SessionRow & { email: string }) | undefined> {
  return db
    .selectFrom('admin_sessions as s')
    .innerJoin('admins as a', 'a.id', 's.admin_id')
    .selectAll('s')
    .select('a.email')
    .where('s.token_digest', '=', tokenDigest)
    .executeTakeFirst();
}

export async function touchSession(db: Db, id: string, now: number): Promise<void> {
  await db.updateTable('admin_sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
}

export async function deleteSession(db: Db, id: string): Promise<void> {
  await db.deleteFrom('admin_sessions').where('id', '=', id).execute();
}

/** Drops an admin's sessions that ended (idle or absolute), so the table does not grow. */
export async function deleteEndedSessions(db: Db, adminId: string, idleSince: number, now: number): Promise<void> {
  await db
    .deleteFrom('admin_sessions')
    .where('admin_id', '=', adminId)
    .where((eb) => eb.or([eb('last_seen_at', '<=', idleSince), eb('absolute_expires_at', '<=', now)]))
    .execute();
}

export async function deleteSessionsOfAdmin(db: Db, adminId: string): Promise<void> {
  await db.deleteFrom('admin_sessions').where('admin_id', '=', adminId).execute();
}

/** Newest first, at most `limit`, only those after `since`. */
export async function recentLoginFailures(db: Db, subject: string, since: number, limit: number): Promise<number[]> {
  const rows = await db
    .selectFrom('login_failures')
    .select('created_at')
    .where('subject', '=', subject)
    .where('created_at', '>', since)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => Number(r.created_at));
}

export async function recordLoginFailure(db: Db, subjects: readonly string[], now: number, forgetBefore: number): Promise<void> {
  await db.insertInto('login_failures').values(subjects.map((subject) => ({ subject, created_at: now }))).execute();
  await db.deleteFrom('login_failures').where('created_at', '<=', forgetBefore).execute();
}

export async function clearLoginFailures(db: Db, subject: string): Promise<void> {
  await db.deleteFrom('login_failures').where('subject', '=', subject).execute();
}
