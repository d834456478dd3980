/**
 * Conversation rules: a conversation belongs to a contact of the same tenant,
 * messages list oldest first, the first message's author defaults to the
 * contact. What analytics needs is recorded with each write, in its
 * transaction: the daily counters and the first agent reply's delay; so are
 * the webhook events (conversation.created / .updated, message.created).
 */
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import { ApiError } from '../core/problems.js';
import { countConversation, countMessages, dayOf } from '../store/analytics-repo.js';
import { type ConversationFilter, type ConversationRow, type MessageRow, findConversation, firstContactMessageAt, insertConversation, insertMessage, listConversations, listMessages, recordFirstResponse, updateConversation } from '../store/conversations-repo.js';
import { findContact } from '../store/contacts-repo.js';
import type { Store } from '../store/db.js';
import type { Db } from '../store/keys-repo.js';
import type { PageRequest } from '../store/keyset.js';
import { inTransaction } from '../store/transactions.js';
import { enqueueEvent } from '../webhooks/outbox.js';
import { contactNotFound } from './contacts.js';

export type Channel = ConversationRow['channel'];
export type ConversationStatus = ConversationRow['status'];
export interface Author {
  type: MessageRow['author_type'];
  id?: string | undefined;
}

export interface Conversation {
  id: string;
  contact_id: string;
  channel: Channel;
  subject: string | null;
  status: ConversationStatus;
  created_at: string;
  updated_at: string;
}

export interface Message {
  id: string;
  conversation_id: string;
  author: { type: Author['type']; id: string | null };
  body: string;
  created_at: string;
}

export interface OpenConversation {
  channel: Channel;
  subject?: string | undefined;
  message?: { body: string; author?: Author | undefined } | undefined;
}

export function conversationView(row: ConversationRow): Conversation {
  return {
    id: row.id,
    contact_id: row.contact_id,
    channel: row.channel,
    subject: row.subject,
    status: row.status,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

export function messageView(row: MessageRow): Message {
  return {
    id: row.id,
    conversation_id: row.conversation_id,
    author: { type: row.author_type, id: row.author_id },
    body: row.body,
    created_at: new Date(row.created_at).toISOString(),
  };
}

const conversationNotFound = (id: string) => new ApiError('not_found', `no conversation ${id}`);

export class ConversationService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async list(tenantId: string, filter: ConversationFilter, page: PageRequest): Promise<ConversationRow[]> {
    return listConversations(this.store.db, tenantId, filter, page);
  }

  async get(tenantId: string, id: string): Promise<Conversation> {
    const row = await findConversation(this.store.db, tenantId, id);
    if (!row) throw conversationNotFound(id);
    return conversationView(row);
  }

  async create(tenantId: string, contactId: string, conversation: OpenConversation): Promise<Conversation> {
    return inTransaction(this.store.db, async (tx) => {
      if (!(await findContact(tx, tenantId, { id: contactId }))) throw contactNotFound(contactId, 'body.contact_id');
      return this.open(tx, tenantId, contactId, conversation);
    });
  }

  /** Inserts a conversation for an existing contact, and its first message, inside the caller's transaction. */
  async open(tx: Db, tenantId: string, contactId: string, conversation: OpenConversation): Promise<Conversation> {
    const now = this.clock.now();
    const row: ConversationRow = {
      id: newId('cv', now),
      tenant_id: tenantId,
      contact_id: contactId,
      channel: conversation.channel,
      subject: conversation.subject ?? null,
      status: 'open',
      created_at: now,
      updated_at: now,
      first_response_ms: null,
    };
    await insertConversation(tx, row);
    await countConversation(tx, tenantId, dayOf(now), row.channel, row.status, 1);
    await enqueueEvent(tx, { tenantId, type: 'conversation.created', data: conversationView(row) }, now);
    if (conversation.message) await this.append(tx, row, conversation.message.body, conversation.message.author ?? { type: 'contact' }, 'body.message.author.id');
    return conversationView(row);
  }

  async update(tenantId: string, id: string, patch: { status?: ConversationStatus | undefined; subject?: string | null | undefined }): Promise<Conversation> {
    return inTransaction(this.store.db, async (tx) => {
      const existing = await findConversation(tx, tenantId, id);
      if (!existing) throw conversationNotFound(id);
      const changes: Partial<ConversationRow> = { updated_at: this.clock.now() };
      if (patch.status !== undefined) changes.status = patch.status;
      if (patch.subject !== undefined) changes.subject = patch.subject;
      await updateConversation(tx, tenantId, id, changes);
      if (changes.status !== undefined && changes.status !== existing.status) {
        const day = dayOf(existing.created_at);
        await countConversation(tx, tenantId, day, existing.channel, existing.status, -1);
        await countConversation(tx, tenantId, day, existing.channel, changes.status, 1);
      }
      const view = conversationView({ ...existing, ...changes });
      await enqueueEvent(tx, { tenantId, type: 'conversation.updated', data: view }, changes.updated_at);
      return view;
    });
  }

  async postMessage(tenantId: string, conversationId: string, body: string, author: Author): Promise<Message> {
    return inTransaction(this.store.db, async (tx) => {
      const conversation = await findConversation(tx, tenantId, conversationId);
      if (!conversation) throw conversationNotFound(conversationId);
      const message = await this.append(tx, conversation, body, author, 'body.author.id');
      await updateConversation(tx, tenantId, conversationId, { updated_at: this.clock.now() });
      return message;
    });
  }

  /** Oldest first; 404 when the conversation is not this tenant's. */
  async messages(tenantId: string, conversationId: string, page: PageRequest): Promise<MessageRow[]> {
    if (!(await findConversation(this.store.db, tenantId, conversationId))) throw conversationNotFound(conversationId);
    return listMessages(this.store.db, tenantId, conversationId, { ...page, order: 'asc' });
  }

  private async append(tx: Db, conversation: ConversationRow, body: string, author: Author, authorPath: string): Promise<Message> {
    if (author.type === 'contact' && author.id !== undefined && author.id !== conversation.contact_id) {
      throw new ApiError('invalid_request', "a contact message's author is the conversation's contact", { errors: [{ path: authorPath, message: `must be ${conversation.contact_id} or omitted` }] });
    }
    const now = this.clock.now();
    const row: MessageRow = {
      id: newId('msg', now),
      tenant_id: conversation.tenant_id,
      conversation_id: conversation.id,
      author_type: author.type,
      author_id: author.type === 'contact' ? conversation.contact_id : (author.id ?? null),
      body,
      created_at: now,
    };
    await insertMessage(tx, row);
    await countMessages(tx, conversation.tenant_id, dayOf(now), 1);
    await enqueueEvent(tx, { tenantId: conversation.tenant_id, type: 'message.created', data: messageView(row) }, now);
    if (author.type === 'agent' && conversation.first_response_ms === null) {
      // The reply time counts from the contact's first message; an agent writing first has nothing to answer yet.
      const askedAt = await firstContactMessageAt(tx, conversation.tenant_id, conversation.id);
      if (askedAt !== undefined) await recordFirstResponse(tx, conversation.tenant_id, conversation.id, now - askedAt);
    }
    return messageView(row);
  }
}
