/** The SDK's contacts, conversations, API channel and analytics methods against the real server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Atender, ConflictError, PermissionError } from '../../src/sdk/index.js';
import { type TestApp, startTestApp } from '../helpers/app.js';

let t: TestApp;
let url: string;
let client: Atender;

beforeAll(async () => {
  t = await startTestApp();
  url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  const key = await t.key({ scopes: ['contacts:read', 'contacts:write', 'conversations:read', 'conversations:write', 'channels:api', 'analytics:read'] });
  client = new Atender({ apiKey: key.key, baseUrl: url });
});
afterAll(async () => t?.close());

describe('contacts', () => {
  it('creates, filters, patches, upserts by external id and deletes', async () => {
    const ada = await client.contacts.create({ email: 'ada@example.com', name: 'Ada', attributes: { plan: 'pro' } });
    expect(ada).toMatchObject({ id: expect.stringMatching(/^ct_/), email: 'ada@example.com', attributes: { plan: 'pro' } });
    expect(await client.contacts.get(ada.id)).toEqual(ada);
    expect((await client.contacts.list({ email: 'ADA@example.com' }).toArray()).map((c) => c.id)).toEqual([ada.id]);
    expect(await client.contacts.update(ada.id, { attributes: { seats: 3 } })).toMatchObject({ attributes: { plan: 'pro', seats: 3 } });

    const first = await client.contacts.upsertByExternalId('crm-1', { name: 'Grace' });
    expect(first).toMatchObject({ created: true, contact: { external_id: 'crm-1', name: 'Grace' } });
    const again = await client.contacts.upsertByExternalId('crm-1', { name: 'Grace Hopper' });
    expect(again).toMatchObject({ created: false, contact: { id: first.contact.id, name: 'Grace Hopper' } });
    expect((await client.contacts.list({ external_id: 'crm-1' }).toArray()).map((c) => c.id)).toEqual([first.contact.id]);

    await expect(client.contacts.create({ email: 'ada@example.com' })).rejects.toBeInstanceOf(ConflictError);
    await client.contacts.delete(first.contact.id);
    expect(await client.contacts.list({ external_id: 'crm-1' }).toArray()).toEqual([]);
  });
});

describe('conversations and messages', () => {
  it('starts a conversation, posts messages, lists them oldest first and closes it', async () => {
    const contact = await client.contacts.create({ name: 'Lin' });
    const conversation = await client.conversations.create({ contact_id: contact.id, subject: 'Order late', message: { body: 'Where is my order?' } });
    expect(conversation).toMatchObject({ id: expect.stringMatching(/^cv_/), channel: 'api', status: 'open', contact_id: contact.id });
    const reply = await client.conversations.messages.create(conversation.id, { body: 'On its way', author: { type: 'agent', id: 'agent-7' } });
    expect(reply).toMatchObject({ conversation_id: conversation.id, author: { type: 'agent', id: 'agent-7' } });
    const bodies: string[] = [];
    for await (const m of client.conversations.messages.list(conversation.id, { limit: 1 })) bodies.push(m.body);
    expect(bodies).toEqual(['Where is my order?', 'On its way']);
    expect(await client.conversations.update(conversation.id, { status: 'closed' })).toMatchObject({ status: 'closed' });
    expect((await client.conversations.list({ contact_id: contact.id, status: 'closed' }).toArray()).map((c) => c.id)).toEqual([conversation.id]);
    expect(await client.conversations.get(conversation.id)).toMatchObject({ status: 'closed' });
    // A contact with conversations is only deleted with cascade.
    await expect(client.contacts.delete(contact.id)).rejects.toBeInstanceOf(ConflictError);
    await client.contacts.delete(contact.id, { cascade: true });
  });

  it('starts a conversation through the API channel, creating the contact by email', async () => {
    const conversation = await client.channels.api.createConversation({ contact: { email: 'new@example.com', name: 'New' }, message: { body: 'Hello' } });
    expect(conversation).toMatchObject({ channel: 'api', status: 'open' });
    expect((await client.contacts.get(conversation.contact_id)).email).toBe('new@example.com');

    const withoutChannel = new Atender({ apiKey: (await t.key({ scopes: ['conversations:write'] })).key, baseUrl: url });
    const denied = await withoutChannel.channels.api.createConversation({ contact: { email: 'x@example.com' }, message: { body: 'Hi' } }).catch((e) => e);
    expect(denied).toBeInstanceOf(PermissionError);
    expect(denied.requiredScopes).toEqual(expect.arrayContaining(['channels:api', 'conversations:write']));
  });
});

describe('analytics', () => {
  it('reads conversation analytics for a date range', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const before = await client.analytics.conversations({ from: today, to: today, interval: 'day' });
    expect(before).toMatchObject({ from: today, to: today, interval: 'day' });
    await client.channels.api.createConversation({ contact: { external_id: 'analytics-1' }, message: { body: 'Hi' } });
    const after = await client.analytics.conversations({ from: today, to: today });
    expect(after.totals.conversations).toBe(before.totals.conversations + 1);
    expect(after.by_channel.api).toBe((before.by_channel.api ?? 0) + 1);
    expect(after.series).toEqual([expect.objectContaining({ start: today, conversations: after.totals.conversations })]);
  });
});
