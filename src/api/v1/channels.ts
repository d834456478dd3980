/** The API Channel (SPEC section 6): needs `conversations:write` and `channels:api`. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { guarded } from '../../http/auth-plugin.js';
import { type Idempotency, IdempotencyKeyHeader } from '../../http/idempotency.js';
import type { ApiChannelService } from '../../services/api-channel.js';
import { ApiChannelInput, Conversation } from '../schemas/conversations.js';

const write = guarded(['conversations:write', 'channels:api']);

export function channelRoutes(channel: ApiChannelService, idempotency: Idempotency): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/channels/api/conversations', { config: write.config, schema: { tags: ['API Channel'], summary: 'Start a conversation in the API channel for a contact named by id, external_id or email (created when new), with its first message', security: write.security, headers: IdempotencyKeyHeader, body: ApiChannelInput, response: { 201: Conversation } } }, async (request, reply) =>
      idempotency.run(request, reply, 201, () => channel.start(request.apiKey!.tenantId, request.body)),
    );
  };
}
