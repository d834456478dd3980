/**
 * `/manage/v1/webhook-endpoints`: the signed-in admin's webhook configuration and
 * delivery log. Registered under the management prefix, after the session
 * plugin that sets `request.admin`; everything is scoped to the admin's org, so
 * another org's endpoint id answers 404. The rules live in WebhookService.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParam } from '../api/schemas/common.js';
import { Page, PageQuery, decodeCursor, toPage } from '../api/v1/pagination.js';
import type { WebhookService } from '../services/webhooks.js';
import { adminActor as actor, signedIn as admin } from './session-guard.js';
import { SESSION_SECURITY as security } from './session-routes.js';
import { CreateEndpointBody, CreatedEndpoint, Delivery, Endpoint, EndpointList, EndpointListQuery, PatchEndpointBody, ReplayBody, Replayed, RotateSecretBody } from './webhook-schemas.js';

const tags = ['Management: webhook endpoints'];
const EndpointId = IdParam('whe');
const DeliveryParams = Type.Composite([EndpointId, Type.Object({ delivery_id: Type.String({ minLength: 1, maxLength: 100, description: 'A `dlv_...` id' }) })]);

export function webhookEndpointRoutes(webhooks: WebhookService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/webhook-endpoints', { schema: { tags, security, summary: "List the org's webhook endpoints (no secrets)", querystring: EndpointListQuery, response: { 200: EndpointList } } }, async (request) => ({
      data: await webhooks.list(admin(request).orgId, request.query.environment),
    }));

    app.post('/webhook-endpoints', { schema: { tags, security, summary: 'Create an endpoint: 201 with its signing secret, shown only here', body: CreateEndpointBody, response: { 201: CreatedEndpoint } } }, async (request, reply) => {
      const created = await webhooks.create({ orgId: admin(request).orgId, ...request.body }, actor(request));
      return reply.code(201).send(created);
    });

    app.get('/webhook-endpoints/:id', { schema: { tags, security, summary: 'Inspect an endpoint', params: EndpointId, response: { 200: Endpoint } } }, async (request) =>
      webhooks.require(request.params.id, admin(request).orgId),
    );

    app.patch('/webhook-endpoints/:id', { schema: { tags, security, summary: 'Change the URL, the event types or `enabled`', params: EndpointId, body: PatchEndpointBody, response: { 200: Endpoint } } }, async (request) =>
      webhooks.update(request.params.id, request.body, actor(request), admin(request).orgId),
    );

    app.delete('/webhook-endpoints/:id', { schema: { tags, security, summary: 'Delete an endpoint and its delivery log', params: EndpointId, response: { 204: Type.Null() } } }, async (request, reply) => {
      await webhooks.remove(request.params.id, actor(request), admin(request).orgId);
      return reply.code(204).send(null);
    });

    app.post('/webhook-endpoints/:id/rotate-secret', { schema: { tags, security, summary: 'New signing secret (201, shown once); the old one also signs during the overlap', params: EndpointId, body: RotateSecretBody, response: { 201: CreatedEndpoint } } }, async (request, reply) => {
      const rotated = await webhooks.rotateSecret(request.params.id, (request.body.overlap_seconds ?? 86_400) * 1000, actor(request), admin(request).orgId);
      return reply.code(201).send(rotated);
    });

    app.get('/webhook-endpoints/:id/deliveries', { schema: { tags, security, summary: 'Deliveries, newest first, each with its attempts (status, latency, truncated answer)', params: EndpointId, querystring: PageQuery, response: { 200: Page(Delivery) } } }, async (request) => {
      const { limit, cursor } = request.query;
      return toPage(await webhooks.deliveries(request.params.id, limit, decodeCursor(cursor), admin(request).orgId), limit, (d) => d);
    });

    app.post('/webhook-endpoints/:id/deliveries/:delivery_id/retry', { schema: { tags, security, summary: 'Attempt a delivery again now', params: DeliveryParams, response: { 202: Delivery } } }, async (request, reply) => {
      const delivery = await webhooks.retry(request.params.id, request.params.delivery_id, actor(request), admin(request).orgId);
      return reply.code(202).send(delivery);
    });

    app.post('/webhook-endpoints/:id/replay', { schema: { tags, security, summary: 'Send again every matching event created in [since, until)', params: EndpointId, body: ReplayBody, response: { 202: Replayed } } }, async (request, reply) => {
      const { since, until } = request.body;
      const replayed = await webhooks.replay(request.params.id, { since: Date.parse(since), until: until === undefined ? undefined : Date.parse(until) }, actor(request), admin(request).orgId);
      return reply.code(202).send(replayed);
    });
  };
}
