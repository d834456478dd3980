/** Contacts (SPEC section 6): `contacts:read` to read, `contacts:write` to change. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { guarded } from '../../http/auth-plugin.js';
import { type Idempotency, IdempotencyKeyHeader } from '../../http/idempotency.js';
import { type ContactService, contactView } from '../../services/contacts.js';
import { IdParam } from '../schemas/common.js';
import { Contact, ContactDeleteQuery, ContactInput, ContactListQuery, ContactPatch, ExternalId } from '../schemas/contacts.js';
import { Page, PageQuery, pageRequest, toPage } from './pagination.js';

const read = guarded(['contacts:read']);
const write = guarded(['contacts:write']);
const tags = ['Contacts'];
const ContactId = IdParam('ct');
const ExternalIdParam = Type.Object({ external_id: ExternalId });

export function contactRoutes(contacts: ContactService, idempotency: Idempotency): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/contacts', { config: read.config, schema: { tags, summary: 'List contacts, newest first (filter by email or external_id)', security: read.security, querystring: Type.Composite([PageQuery, ContactListQuery]), response: { 200: Page(Contact) } } }, async (request) => {
      const { email, external_id } = request.query;
      const rows = await contacts.list(request.apiKey!.tenantId, { email, external_id }, pageRequest(request.query));
      return toPage(rows, request.query.limit, contactView);
    });

    app.get('/contacts/:id', { config: read.config, schema: { tags, summary: 'Get a contact', security: read.security, params: ContactId, response: { 200: Contact } } }, async (request) =>
      contacts.get(request.apiKey!.tenantId, request.params.id),
    );

    app.post('/contacts', { config: write.config, schema: { tags, summary: 'Create a contact (409 when its email or external_id is taken)', security: write.security, headers: IdempotencyKeyHeader, body: ContactInput, response: { 201: Contact } } }, async (request, reply) =>
      idempotency.run(request, reply, 201, () => contacts.create(request.apiKey!.tenantId, request.body)),
    );

    app.patch('/contacts/:id', { config: write.config, schema: { tags, summary: 'Change a contact (attributes merge; an attribute set to null is removed)', security: write.security, params: ContactId, body: ContactPatch, response: { 200: Contact } } }, async (request) =>
      contacts.update(request.apiKey!.tenantId, request.params.id, request.body),
    );

    app.delete('/contacts/:id', { config: write.config, schema: { tags, summary: 'Delete a contact (409 when it has conversations, unless ?cascade=true)', security: write.security, params: ContactId, querystring: ContactDeleteQuery, response: { 204: Type.Null() } } }, async (request, reply) => {
      await contacts.remove(request.apiKey!.tenantId, request.params.id, request.query.cascade);
      return reply.code(204).send(null);
    });

    app.put('/contacts/by-external-id/:external_id', { config: write.config, schema: { tags, summary: 'Create or replace the contact with this external_id (201 created, 200 replaced)', security: write.security, params: ExternalIdParam, body: ContactInput, response: { 200: Contact, 201: Contact } } }, async (request, reply) => {
      const { contact, created } = await contacts.upsert(request.apiKey!.tenantId, request.params.external_id, request.body);
      reply.code(created ? 201 : 200);
      return contact;
    });
  };
}
