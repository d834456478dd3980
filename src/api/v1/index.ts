/** Every tenant API module, registered inside the key pipeline's plugin. */
import type { FastifyInstance } from 'fastify';
import type { ServingRuntime } from '../../runtime.js';
import { AnalyticsService } from '../../services/analytics.js';
import { ApiChannelService } from '../../services/api-channel.js';
import { ContactService } from '../../services/contacts.js';
import { ConversationService } from '../../services/conversations.js';
import { KnowledgeService } from '../../services/knowledge.js';
import { analyticsRoutes } from './analytics.js';
import { channelRoutes } from './channels.js';
import { contactRoutes } from './contacts.js';
import { conversationRoutes } from './conversations.js';
import { knowledgeRoutes } from './knowledge.js';
import { meRoutes } from './me.js';

export async function registerV1(app: FastifyInstance, runtime: ServingRuntime): Promise<void> {
  const { store, clock, idempotency } = runtime;
  const contacts = new ContactService(store, clock);
  const conversations = new ConversationService(store, clock);
  await app.register(meRoutes);
  await app.register(knowledgeRoutes(new KnowledgeService(store, clock), idempotency));
  await app.register(contactRoutes(contacts, idempotency));
  await app.register(conversationRoutes(conversations, idempotency));
  await app.register(channelRoutes(new ApiChannelService(store, contacts, conversations), idempotency));
  await app.register(analyticsRoutes(new AnalyticsService(store, clock)));
}
