import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { OPERATOR } from '../../src/store/audit-repo.js';
import { api } from '../helpers/api.js';
import { appWithReceiver } from '../helpers/webhook-receiver.js';

describe('contact, conversation and message events from the tenant API', () => {
  const ctx = appWithReceiver({ config: { webhooksAllowPrivate: true } });

  it('each write sends its event once, signed; an idempotent replay sends nothing new', async () => {
    const { t, r } = ctx;
    const ep = await t.runtime.webhooks.create(
      { orgId: t.org.org.id, environment: 'sandbox', url: r.url, events: ['contact.created', 'contact.updated', 'contact.deleted', 'conversation.created', 'conversation.updated', 'message.created'] },
      OPERATOR,
    );
    const client = api(t, (await t.key({ scopes: ['contacts:write', 'conversations:write', 'channels:api'] })).key);
    const ok = async (res: Promise<{ statusCode: number; json: () => { id: string } }>, status: number) => {
      const got = await res;
      expect(got.statusCode).toBe(status);
      return got.json();
    };

    const ada = await ok(client.post('/v1/contacts', { email: 'ada@example.com', name: 'Ada' }, { 'idempotency-key': 'create-ada' }), 201);
    await ok(client.post('/v1/contacts', { email: 'ada@example.com', name: 'Ada' }, { 'idempotency-key': 'create-ada' }), 201);
    await ok(client.patch(`/v1/contacts/${ada.id}`, { name: 'Ada L.' }), 200);
    const ext = await ok(client.put('/v1/contacts/by-external-id/crm-1', { name: 'From CRM' }), 201);
    await ok(client.put('/v1/contacts/by-external-id/crm-1', { name: 'From CRM, renamed' }), 200);
    const conversation = await ok(client.post('/v1/conversations', { contact_id: ada.id, subject: 'Help', message: { body: 'Hello?' } }), 201);
    const reply = await ok(client.post(`/v1/conversations/${conversation.id}/messages`, { body: 'Hi Ada', author: { type: 'agent', id: 'agent-7' } }), 201);
    await ok(client.patch(`/v1/conversations/${conversation.id}`, { status: 'closed' }), 200);
    const viaChannel = await ok(client.post('/v1/channels/api/conversations', { contact: { email: 'new@example.com' }, message: { body: 'From the API channel' } }), 201);
    expect((await client.delete(`/v1/contacts/${ext.id}`)).statusCode).toBe(204);
    expect((await client.patch('/v1/contacts/ct_missing', { name: 'x' })).statusCode).toBe(404);

    await t.runtime.dispatcher.runDue();
    const events = r.received.map((x) => new Webhook(ep.secret).verify(x.body, r.headersOf(x)) as { type: string; data: { id: string; name?: string; status?: string } });
    const seen = events.map((e) => `${e.type} ${e.data.id}`).sort();
    const channelContact = events.find((e) => e.type === 'contact.created' && e.data.id !== ada.id && e.data.id !== ext.id)!.data.id;
    const channelMessage = events.find((e) => e.type === 'message.created' && e.data.id !== reply.id && (e.data as { conversation_id?: string }).conversation_id === viaChannel.id)!.data.id;
    const firstMessage = events.find((e) => e.type === 'message.created' && (e.data as { conversation_id?: string }).conversation_id === conversation.id && e.data.id !== reply.id)!.data.id;
    expect(seen).toEqual(
      [
        `contact.created ${ada.id}`,
        `contact.updated ${ada.id}`,
        `contact.created ${ext.id}`,
        `contact.updated ${ext.id}`,
        `conversation.created ${conversation.id}`,
        `message.created ${firstMessage}`,
        `message.created ${reply.id}`,
        `conversation.updated ${conversation.id}`,
        `contact.created ${channelContact}`,
        `conversation.created ${viaChannel.id}`,
        `message.created ${channelMessage}`,
        `contact.deleted ${ext.id}`,
      ].sort(),
    );
    expect(events.find((e) => e.type === 'conversation.updated')!.data.status).toBe('closed');
    expect(events.find((e) => e.type === 'contact.updated' && e.data.id === ada.id)!.data.name).toBe('Ada L.');
  });
});

describe('a running dispatcher', () => {
  // Polling every minute: only the after-commit wake can deliver within the wait below.
  const ctx = appWithReceiver({ config: { webhooksAllowPrivate: true, webhooks: { ...loadConfig({}).webhooks, pollMs: 60_000 } } });

  it('is woken by this node\'s commit, without waiting for its poll', async () => {
    const { t, r } = ctx;
    await t.runtime.webhooks.create({ orgId: t.org.org.id, environment: 'sandbox', url: r.url, events: ['contact.created'] }, OPERATOR);
    t.runtime.dispatcher.start();
    // start() looks once; a write afterwards must wake it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const client = api(t, (await t.key({ scopes: ['contacts:write'] })).key);
    expect((await client.post('/v1/contacts', { email: 'wake@example.com' })).statusCode).toBe(201);
    await r.waitFor(1, 10_000);
    await t.runtime.dispatcher.stop();
  });
});
