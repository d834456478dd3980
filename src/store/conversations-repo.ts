/** Conversation and message rows. Every query is scoped by the tenant taken from the key. */
import type { Selectable } from 'kysely';
import type { Db } from './keys-repo.js';
import { type PageRequest, keysetPage } from './keyset.js';
import type { ConversationsTable, MessagesTable } from './schema.js';

export type ConversationRow = Selectable<ConversationsTable>;
export type MessageRow = Selectable<MessagesTable>;

export interface ConversationFilter {
  contact_id?: string | undefined;
  status?: ConversationRow['status'] | undefined;
}

export async function listConversations(db: Db, tenantId: string, filter: ConversationFilter, page: PageRequest): Promise<ConversationRow[]> {
  let q = db.selectFrom('conversations').selectAll().where('tenant_id', '=', tenantId);
  if (filter.contact_id !== undefined) q = q.where('contact_id', '=', filter.contact_id);
  if (filter.status !== undefined) q = q.where('status', '=', filter.status);
  return keysetPage(q, page).execute();
}

export async function findConversation(db: Db, tenantId: string, id: string): Promise<ConversationRow | undefined> {
  return db.selectFrom('conversations').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function insertConversation(db: Db, row: ConversationRow): Promise<void> {
  await db.insertInto('conversations').values(row).execute();
}

export async function updateConversation(db: Db, tenantId: string, id: string, changes: Partial<ConversationRow>): Promise<void> {
  await db.updateTable('conversations').set(changes).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

/** Oldest first unless the page says otherwise. */
export async function listMessages(db: Db, tenantId: string, conversationId: string, page: PageRequest): Promise<MessageRow[]> {
  return keysetPage(db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).where('tenant_id', '=', tenantId), page).execute();
}

export async function insertMessage(db: Db, row: MessageRow): Promise<void> {
  await db.insertInto('messages').values(row).execute();
}

/** When the contact first wrote in this conversation, if they have. */
export async function firstContactMessageAt(db: Db, tenantId: string, conversationId: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('messages')
    .select('created_at')
    .where('conversation_id', '=', conversationId)
    .where('tenant_id', '=', tenantId)
    .where('author_type', '=', 'contact')
    .orderBy('id', 'asc')
    .limit(1)
    .executeTakeFirst();
  return row?.created_at;
}

/** Records the first agent reply once; a later or concurrent one leaves it unchanged. */
export async function recordFirstResponse(db: Db, tenantId: string, conversationId: string, responseMs: number): Promise<void> {
  await db
    .updateTable('conversations')
    .set({ first_response_ms: responseMs })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', conversationId)
    .where('first_response_ms', 'is', null)
    .execute();
}
