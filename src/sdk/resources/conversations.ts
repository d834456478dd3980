/**
 * `/v1/conversations` (`conversations:read` / `conversations:write`), their
 * messages (oldest first), and the API Channel (`channels:api` as well).
 */
import type { ListParams, Paginator } from '../paginate.js';
import type { Transport } from '../transport.js';
import type { ApiChannelInput, Conversation, ConversationFilters, ConversationInput, ConversationPatch, Message, MessageInput } from '../types.js';
import { type CallOptions, type Collection, type CreateOptions, collection, paginate, segment } from './collection.js';

export interface ConversationsResource extends Omit<Collection<Conversation, ConversationInput, ConversationPatch, ConversationFilters>, 'delete'> {
  messages: {
    list(conversationId: string, params?: ListParams, opts?: CallOptions): Paginator<Message>;
    create(conversationId: string, input: MessageInput, opts?: CreateOptions): Promise<Message>;
  };
}

export interface ChannelsResource {
  api: {
    /** Starts a conversation for a contact named by id, external_id or email (created when new), with its first message. */
    createConversation(input: ApiChannelInput, opts?: CreateOptions): Promise<Conversation>;
  };
}

export function conversationsResource(transport: Transport): ConversationsResource {
  const path = '/v1/conversations';
  // The API has no DELETE for conversations.
  const { delete: _none, ...common } = collection<Conversation, ConversationInput, ConversationPatch, ConversationFilters>(transport, path);
  const messagesPath = (id: string) => `${path}/${segment(id)}/messages`;
  return {
    ...common,
    messages: {
      list: (conversationId, params, opts) => paginate<Message>(transport, messagesPath(conversationId), params, opts),
      create: async (conversationId, input, opts = {}) =>
        (await transport.request<Message>('POST', messagesPath(conversationId), { body: input, idempotencyKey: opts.idempotencyKey, signal: opts.signal })).data,
    },
  };
}

export function channelsResource(transport: Transport): ChannelsResource {
  return {
    api: {
      createConversation: async (input, opts = {}) =>
        (await transport.request<Conversation>('POST', '/v1/channels/api/conversations', { body: input, idempotencyKey: opts.idempotencyKey, signal: opts.signal })).data,
    },
  };
}
