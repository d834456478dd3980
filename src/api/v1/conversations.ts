/** Conversations and messages (SPEC section 6): `conversations:read` to read, `conversations:write` to change. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { guarded } from '../../http/auth-plugin.js';
import { type Idempotency, IdempotencyKeyHeader } from '../../http/idempotency.js';
import { type ConversationService, conversationView, messageView } from '../../services/conversations.js';
import { IdParam } from '../schemas/common.js';
import { Conversation, ConversationInput, ConversationListQuery, ConversationPatch, Message, MessageInput } from '../schemas/conversations.js';
import { Page, PageQuery, pageRequest, toPage } from './pagination.js';

const read = guarded(['conversations:read']);
const write = guarded(['conversations:write']);
const tags = ['Conversations'];
const ConversationId = IdParam('cv');

export function conversationRoutes(conversations: ConversationService, idempotency: Idempotency): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/conversations', { config: read.config, schema: { tags, summary: 'List conversations, newest first (filter by contact_id or status)', security: read.security, querystring: Type.Composite([PageQuery, ConversationListQuery]), response: { 200: Page(Conversation) } } }, async (request) => {
      const { contact_id, status } = request.query;
      const rows = await conversations.list(request.apiKey!.tenantId, { contact_id, status }, pageRequest(request.query));
      return toPage(rows, request.query.limit, conversationView);
    });

    app.get('/conversations/:id', { config: read.config, schema: { tags, summary: 'Get a conversation', security: read.security, params: ConversationId, response: { 200: Conversation } } }, async (request) =>
      conversations.get(request.apiKey!.tenantId, request.params.id),
    );

    app.get('/conversations/:id/messages', { config: read.config, schema: { tags, summary: "List a conversation's messages, oldest first", security: read.security, params: ConversationId, querystring: PageQuery, response: { 200: Page(Message) } } }, async (request) => {
      const rows = await conversations.messages(request.apiKey!.tenantId, request.params.id, pageRequest(request.query, 'asc'));
      return toPage(rows, request.query.limit, messageView);
    });

    app.post('/conversations', { config: write.config, schema: { tags, summary: "Start a conversation for a contact, with an optional first message (its author defaults to the contact)", security: write.security, headers: IdempotencyKeyHeader, body: ConversationInput, response: { 201: Conversation } } }, async (request, reply) => {
      const { contact_id, channel, subject, message } = request.body;
      return idempotency.run(request, reply, 201, () => conversations.create(request.apiKey!.tenantId, contact_id, { channel: channel ?? 'api', subject, message }));
    });

    app.post('/conversations/:id/messages', { config: write.config, schema: { tags, summary: 'Post a message', security: write.security, headers: IdempotencyKeyHeader, params: ConversationId, body: MessageInput, response: { 201: Message } } }, async (request, reply) =>
      idempotency.run(request, reply, 201, () => conversations.postMessage(request.apiKey!.tenantId, request.params.id, request.body.body, request.body.author)),
    );

    app.patch('/conversations/:id', { config: write.config, schema: { tags, summary: 'Change the status (open, snoozed, closed) or subject', security: write.security, params: ConversationId, body: ConversationPatch, response: { 200: Conversation } } }, async (request) =>
      conversations.update(request.apiKey!.tenantId, request.params.id, request.body),
    );
  };
}
