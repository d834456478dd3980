/**
 * The API Channel: an integration starts a conversation for a contact named by
 * id, external_id or email (created when new), with its first message, all in
 * one transaction. The conversation's channel is `api`.
 */
import { ApiError } from '../core/problems.js';
import { findContact } from '../store/contacts-repo.js';
import type { Store } from '../store/db.js';
import { inTransaction } from '../store/transactions.js';
import { type ContactService, contactNotFound } from './contacts.js';
import type { Conversation, ConversationService } from './conversations.js';

export interface ApiChannelRequest {
  contact: { id?: string | undefined; email?: string | undefined; external_id?: string | undefined; name?: string | undefined };
  subject?: string | undefined;
  message: { body: string };
}

export class ApiChannelService {
  constructor(
    private readonly store: Store,
    private readonly contacts: ContactService,
    private readonly conversations: ConversationService,
  ) {}

  async start(tenantId: string, request: ApiChannelRequest): Promise<Conversation> {
    const { id, email, external_id, name } = request.contact;
    if (id === undefined && email === undefined && external_id === undefined) {
      throw new ApiError('invalid_request', 'body.contact needs id, email or external_id', { errors: [{ path: 'body.contact', message: 'needs id, email or external_id' }] });
    }
    if (id !== undefined && (email !== undefined || external_id !== undefined || name !== undefined)) {
      throw new ApiError('invalid_request', 'body.contact.id names an existing contact and takes no other field', { errors: [{ path: 'body.contact', message: 'id takes no other field' }] });
    }
    return inTransaction(this.store.db, async (tx) => {
      let contactId: string;
      if (id !== undefined) {
        if (!(await findContact(tx, tenantId, { id }))) throw contactNotFound(id, 'body.contact.id');
        contactId = id;
      } else {
        contactId = (await this.contacts.findOrCreate(tx, tenantId, { email, external_id, name }, 'body.contact')).contact.id;
      }
      return this.conversations.open(tx, tenantId, contactId, { channel: 'api', subject: request.subject, message: { body: request.message.body, author: { type: 'contact' } } });
    });
  }
}
