import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, type TestApp, startTestApp } from '../../helpers/app.js';
import { type Api, allPages, api } from '../../helpers/api.js';
import { testDatabases } from '../../helpers/services.js';

describe.each(await testDatabases())('conversations, messages and the API channel over HTTP ($name)', (database) => {
  let t: TestApp;
  let c: Api;
  let contactId: string;
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  beforeAll(async () => {
    t = await startTestApp({ database, clock });
    c = api(t, (await t.key({ scopes: ['contacts:read', 'contacts:write', 'conversations:read', 'conversations:write', 'channels:api'] })).key);
    contactId = (await c.post('/v1/contacts', { email: 'cara@example.com', name: 'Cara' })).json().id;
  });
  afterAll(() => t?.close());

  it('creates a conversation (channel api by default) with a first message authored by the contact', async () => {
    const res = await c.post('/v1/conversations', { contact_id: contactId, subject: 'Billing', message: { body: 'My invoice is wrong' } });
    expect(res.statusCode).toBe(201);
    const conversation = res.json();
    expect(conversation).toEqual({ id: expect.stringMatching(/^cv_[0-9a-z]{26}$/), contact_id: contactId, channel: 'api', subject: 'Billing', status: 'open', created_at: expect.any(String), updated_at: expect.any(String) });
    expect((await c.get(`/v1/conversations/${conversation.id}`)).json()).toEqual(conversation);
    const messages = (await c.get(`/v1/conversations/${conversation.id}/messages`)).json();
    expect(messages.data).toEqual([{ id: expect.stringMatching(/^msg_/), conversation_id: conversation.id, author: { type: 'contact', id: contactId }, body: 'My invoice is wrong', created_at: expect.any(String) }]);
  });

  it('a conversation without a message, on another channel, with an agent-authored first message', async () => {
    const bare = (await c.post('/v1/conversations', { contact_id: contactId, channel: 'email' })).json();
    expect(bare).toMatchObject({ channel: 'email', subject: null });
    expect((await c.get(`/v1/conversations/${bare.id}/messages`)).json()).toEqual({ data: [], next_cursor: null });
    const outbound = (await c.post('/v1/conversations', { contact_id: contactId, channel: 'phone', message: { body: 'We called you', author: { type: 'agent', id: 'agent-7' } } })).json();
    expect((await c.get(`/v1/conversations/${outbound.id}/messages`)).json().data[0].author).toEqual({ type: 'agent', id: 'agent-7' });
  });

  it('an unknown contact is 404 naming body.contact_id; bad bodies are 400', async () => {
    const res = await c.post('/v1/conversations', { contact_id: 'ct_00000000000000000000000000' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'not_found', errors: [{ path: 'body.contact_id' }] });
    for (const body of [{}, { contact_id: contactId, channel: 'fax' }, { contact_id: contactId, extra: 1 }, { contact_id: contactId, message: { body: '' } }, { contact_id: contactId, message: { body: 'x', author: { type: 'robot' } } }]) {
      const bad = await c.post('/v1/conversations', body);
      expect(bad.statusCode, JSON.stringify(body)).toBe(400);
      expect(bad.json().code).toBe('invalid_request');
    }
    const wrongAuthor = await c.post('/v1/conversations', { contact_id: contactId, message: { body: 'x', author: { type: 'contact', id: 'ct_someoneelse' } } });
    expect(wrongAuthor.statusCode).toBe(400);
    expect(wrongAuthor.json().errors[0].path).toBe('body.message.author.id');
  });

  it('a subject or message of nothing but spaces is 400 naming the field, and nothing is created', async () => {
    const before = (await c.get('/v1/conversations')).json().data.length;
    const blankSubject = await c.post('/v1/conversations', { contact_id: contactId, subject: '  \t ' });
    expect(blankSubject.statusCode).toBe(400);
    expect(blankSubject.json().errors).toEqual([{ path: 'body.subject', message: 'must contain more than spaces' }]);
    const blankBody = await c.post('/v1/conversations', { contact_id: contactId, message: { body: ' \n ' } });
    expect(blankBody.json().errors).toEqual([{ path: 'body.message.body', message: 'must contain more than spaces' }]);
    expect((await c.get('/v1/conversations')).json().data.length).toBe(before);
  });

  it('messages: posting (contact, agent, bot), listing oldest first across pages, 404 on an unknown conversation', async () => {
    const conversation = (await c.post('/v1/conversations', { contact_id: contactId })).json();
    const posted: string[] = [];
    for (const [i, type] of (['contact', 'agent', 'bot', 'contact', 'agent'] as const).entries()) {
      clock.advance(1000);
      const res = await c.post(`/v1/conversations/${conversation.id}/messages`, { body: `m${i}`, author: { type, ...(type === 'contact' ? {} : { id: `${type}-1` }) } });
      expect(res.statusCode).toBe(201);
      expect(res.json().author).toEqual({ type, id: type === 'contact' ? contactId : `${type}-1` });
      posted.push(res.json().id);
    }
    const first = (await c.get(`/v1/conversations/${conversation.id}/messages?limit=2`)).json();
    expect(first.data.map((m: { body: string }) => m.body)).toEqual(['m0', 'm1']);
    expect((await allPages<{ id: string }>(c, `/v1/conversations/${conversation.id}/messages`, 2)).map((m) => m.id)).toEqual(posted);
    expect((await c.get(`/v1/conversations/${conversation.id}`)).json().updated_at).toBe(new Date(clock.now()).toISOString());
    expect((await c.post('/v1/conversations/cv_00000000000000000000000000/messages', { body: 'x', author: { type: 'agent' } })).statusCode).toBe(404);
    expect((await c.get('/v1/conversations/cv_00000000000000000000000000/messages')).statusCode).toBe(404);
    expect((await c.post(`/v1/conversations/${conversation.id}/messages`, { body: 'x' })).statusCode).toBe(400);
  });

  it('patch changes status and subject; bad values are 400, unknown ids 404', async () => {
    const conversation = (await c.post('/v1/conversations', { contact_id: contactId, subject: 'Old' })).json();
    for (const status of ['snoozed', 'closed', 'open'] as const) {
      const res = await c.patch(`/v1/conversations/${conversation.id}`, { status });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status, subject: 'Old' });
    }
    expect((await c.patch(`/v1/conversations/${conversation.id}`, { subject: null })).json().subject).toBeNull();
    expect((await c.patch(`/v1/conversations/${conversation.id}`, { status: 'done' })).statusCode).toBe(400);
    expect((await c.patch(`/v1/conversations/${conversation.id}`, {})).statusCode).toBe(400);
    expect((await c.patch(`/v1/conversations/${conversation.id}`, { contact_id: contactId })).statusCode).toBe(400);
    expect((await c.patch('/v1/conversations/cv_00000000000000000000000000', { status: 'closed' })).statusCode).toBe(404);
  });

  it('lists newest first, filtered by contact_id and status', async () => {
    const other = (await c.post('/v1/contacts', {})).json().id;
    const a = (await c.post('/v1/conversations', { contact_id: other })).json();
    clock.advance(1);
    const b = (await c.post('/v1/conversations', { contact_id: other })).json();
    await c.patch(`/v1/conversations/${a.id}`, { status: 'closed' });
    expect((await c.get(`/v1/conversations?contact_id=${other}`)).json().data.map((x: { id: string }) => x.id)).toEqual([b.id, a.id]);
    expect((await c.get(`/v1/conversations?contact_id=${other}&status=closed`)).json().data.map((x: { id: string }) => x.id)).toEqual([a.id]);
    expect((await c.get('/v1/conversations?status=gone')).statusCode).toBe(400);
    const all = await allPages<{ id: string }>(c, '/v1/conversations', 2);
    expect(all.map((x) => x.id)).toEqual([...all.map((x) => x.id)].sort().reverse());
  });

  describe('the API channel', () => {
    it('creates the contact when new (by external_id), the conversation on channel api and its first message', async () => {
      const res = await c.post('/v1/channels/api/conversations', { contact: { external_id: 'shop-9', email: 'new@example.com', name: 'New' }, subject: 'Order 9', message: { body: 'Where is my order?' } });
      expect(res.statusCode).toBe(201);
      const conversation = res.json();
      expect(conversation).toMatchObject({ channel: 'api', subject: 'Order 9', status: 'open' });
      const contact = (await c.get(`/v1/contacts/${conversation.contact_id}`)).json();
      expect(contact).toMatchObject({ external_id: 'shop-9', email: 'new@example.com', name: 'New' });
      expect((await c.get(`/v1/conversations/${conversation.id}/messages`)).json().data).toEqual([expect.objectContaining({ body: 'Where is my order?', author: { type: 'contact', id: contact.id } })]);
      // The same contact again: found, not duplicated.
      const again = (await c.post('/v1/channels/api/conversations', { contact: { external_id: 'shop-9' }, message: { body: 'Hello?' } })).json();
      expect(again.contact_id).toBe(contact.id);
      expect((await c.get('/v1/contacts?external_id=shop-9')).json().data).toHaveLength(1);
    });

    it('finds an existing contact by id or by email (any case)', async () => {
      expect((await c.post('/v1/channels/api/conversations', { contact: { id: contactId }, message: { body: 'a' } })).json().contact_id).toBe(contactId);
      expect((await c.post('/v1/channels/api/conversations', { contact: { email: 'CARA@example.com' }, message: { body: 'b' } })).json().contact_id).toBe(contactId);
    });

    it('refuses what it cannot identify: 404 unknown id, 400 no identifier or id with more, 409 email held by another contact, and creates nothing', async () => {
      const before = (await allPages(c, '/v1/contacts')).length;
      const unknown = await c.post('/v1/channels/api/conversations', { contact: { id: 'ct_00000000000000000000000000' }, message: { body: 'x' } });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().errors[0].path).toBe('body.contact.id');
      expect((await c.post('/v1/channels/api/conversations', { contact: { name: 'Nobody' }, message: { body: 'x' } })).statusCode).toBe(400);
      expect((await c.post('/v1/channels/api/conversations', { contact: { id: contactId, email: 'x@example.com' }, message: { body: 'x' } })).statusCode).toBe(400);
      expect((await c.post('/v1/channels/api/conversations', { contact: { email: 'x@example.com' } })).statusCode).toBe(400);
      const taken = await c.post('/v1/channels/api/conversations', { contact: { external_id: 'brand-new', email: 'cara@example.com' }, message: { body: 'x' } });
      expect(taken.statusCode).toBe(409);
      expect(taken.json().errors[0].path).toBe('body.contact.email');
      expect((await allPages(c, '/v1/contacts')).length).toBe(before);
    });

    it('concurrent first contacts from one new email make one contact and one conversation each', async () => {
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => c.post('/v1/channels/api/conversations', { contact: { email: 'burst@example.com' }, message: { body: `hi ${i}` } })));
      expect(answers.map((r) => r.statusCode)).toEqual([201, 201, 201, 201, 201, 201]);
      expect(new Set(answers.map((r) => r.json().contact_id)).size).toBe(1);
      expect(new Set(answers.map((r) => r.json().id)).size).toBe(6);
    });

    it('a 403 names every scope the key lacks', async () => {
      const none = api(t, (await t.key({ scopes: ['conversations:read'] })).key);
      const res = await none.post('/v1/channels/api/conversations', { contact: { id: contactId }, message: { body: 'x' } });
      expect(res.statusCode).toBe(403);
      expect(res.json().required_scopes).toEqual(['conversations:write', 'channels:api']);
      expect(res.json().detail).toContain('conversations:write');
      expect(res.json().detail).toContain('channels:api');
      const half = api(t, (await t.key({ scopes: ['conversations:write'] })).key);
      const partial = (await half.post('/v1/channels/api/conversations', { contact: { id: contactId }, message: { body: 'x' } })).json();
      expect(partial.detail).toMatch(/lacks channels:api$/);
    });
  });
});
