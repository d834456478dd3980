/** Conversation analytics (SPEC section 6): `analytics:read`. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { guarded } from '../../http/auth-plugin.js';
import type { AnalyticsService } from '../../services/analytics.js';
import { AnalyticsQuery, ConversationAnalytics } from '../schemas/analytics.js';

const read = guarded(['analytics:read']);

export function analyticsRoutes(analytics: AnalyticsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/analytics/conversations', { config: read.config, schema: { tags: ['Analytics'], summary: 'Conversation totals, channels, median first response and a zero-filled series over UTC days (at most 366)', security: read.security, querystring: AnalyticsQuery, response: { 200: ConversationAnalytics } } }, async (request) =>
      analytics.conversations(request.apiKey!.tenantId, request.query),
    );
  };
}
