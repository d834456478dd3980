/** Contact rows. Every query is scoped by the tenant taken from the key. */
import type { Selectable } from 'kysely';
import type { Db } from './keys-repo.js';
import { type PageRequest, keysetPage } from './keyset.js';
import type { ContactsTable } from './schema.js';

export type ContactRow = Selectable<ContactsTable>;
export type ContactLookup = { id: string } | { email: string } | { external_id: string };

export interface ContactFilter {
  email?: string | undefined;
  external_id?: string | undefined;
}

export async function listContacts(db: Db, tenantId: string, filter: ContactFilter, page: PageRequest): Promise<ContactRow[]> {
  let q = db.selectFrom('contacts').selectAll().where('tenant_id', '=', tenantId);
  if (filter.email !== undefined) q = q.where('email', '=', filter.email);
  if (filter.external_id !== undefined) q = q.where('external_id', '=', filter.external_id);
  return keysetPage(q, page).execute();
}

export async function findContact(db: Db, tenantId: string, by: ContactLookup): Promise<ContactRow | undefined> {
  const q = db.selectFrom('contacts').selectAll().where('tenant_id', '=', tenantId);
  if ('id' in by) return q.where('id', '=', by.id).executeTakeFirst();
  if ('email' in by) return q.where('email', '=', by.email).executeTakeFirst();
  return q.where('external_id', '=', by.external_id).executeTakeFirst();
}

export async function insertContact(db: Db, row: ContactRow): Promise<void> {
  await db.insertInto('contacts').values(row).execute();
}

/** Inserts unless a unique field is taken (no error, so a surrounding transaction stays usable); true when inserted. */
export async function insertContactIfAbsent(db: Db, row: ContactRow): Promise<boolean> {
  const result = await db.insertInto('contacts').values(row).onConflict((oc) => oc.doNothing()).executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function updateContact(db: Db, tenantId: string, id: string, changes: Partial<ContactRow>): Promise<void> {
  await db.updateTable('contacts').set(changes).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function hasConversations(db: Db, tenantId: string, contactId: string): Promise<boolean> {
  const row = await db.selectFrom('conversations').select('id').where('tenant_id', '=', tenantId).where('contact_id', '=', contactId).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Deletes the contact and, with `cascade`, its conversations and their messages first. */
export async function deleteContact(db: Db, tenantId: string, id: string): Promise<boolean> {
  const conversations = db.selectFrom('conversations').select('id').where('tenant_id', '=', tenantId).where('contact_id', '=', id);
  await db.deleteFrom('messages').where('tenant_id', '=', tenantId).where('conversation_id', 'in', conversations).execute();
  await db.deleteFrom('conversations').where('tenant_id', '=', tenantId).where('contact_id', '=', id).execute();
  const result = await db.deleteFrom('contacts').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
