import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_TTL_MS } from '../../src/http/idempotency.js';
import { ManualClock, type TestApp, startTestApp } from '../helpers/app.js';
import { type Api, allPages, api } from '../helpers/api.js';
import { testDatabases } from '../helpers/services.js';

describe.each(await testDatabases())('Idempotency-Key on creating POSTs ($name)', (database) => {
  let t: TestApp;
  let c: Api;
  let contactId: string;
  let conversationId: string;
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  const scopes = ['contacts:read', 'contacts:write', 'conversations:read', 'conversations:write', 'channels:api', 'knowledge:read', 'knowledge:write'] as const;
  beforeAll(async () => {
    t = await startTestApp({ database, clock });
    c = api(t, (await t.key({ scopes: [...scopes] })).key);
    contactId = (await c.post('/v1/contacts', { name: 'Base' })).json().id;
    conversationId = (await c.post('/v1/conversations', { contact_id: contactId })).json().id;
  });
  afterAll(() => t?.close());

  const creates = () => [
    { url: '/v1/knowledge/articles', body: { title: 'Refunds', body: 'How to' }, list: '/v1/knowledge/articles' },
    { url: '/v1/contacts', body: { name: 'Dee' }, list: '/v1/contacts' },
    { url: '/v1/conversations', body: { contact_id: contactId, message: { body: 'hi' } }, list: '/v1/conversations' },
    { url: `/v1/conversations/${conversationId}/messages`, body: { body: 'hello', author: { type: 'agent' } }, list: `/v1/conversations/${conversationId}/messages` },
    { url: '/v1/channels/api/conversations', body: { contact: { id: contactId }, message: { body: 'hey' } }, list: '/v1/conversations' },
  ];

  it.each([0, 1, 2, 3, 4])('create #%i: the same key and body replay the first answer with Idempotent-Replayed: true, creating nothing', async (index) => {
    const { url, body, list } = creates()[index]!;
    const key = `k-${index}-${Math.random()}`;
    const before = (await allPages(c, list)).length;
    const first = await c.post(url, body, { 'idempotency-key': key });
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    clock.advance(1000);
    const again = await c.post(url, body, { 'idempotency-key': key });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    expect((await allPages(c, list)).length).toBe(before + 1);
    // Without a key every POST creates.
    expect((await c.post(url, body)).json().id).not.toBe(first.json().id);
  });

  it('the same key with a different body, or on another endpoint, is 422 idempotency_conflict', async () => {
    await c.post('/v1/contacts', { name: 'A' }, { 'idempotency-key': 'reuse-1' });
    const other = await c.post('/v1/contacts', { name: 'B' }, { 'idempotency-key': 'reuse-1' });
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ code: 'idempotency_conflict', type: '/problems/idempotency_conflict', status: 422 });
    const elsewhere = await c.post('/v1/knowledge/articles', { title: 'A', body: '' }, { 'idempotency-key': 'reuse-1' });
    expect(elsewhere.statusCode).toBe(422);
  });

  it('the body is compared by content, not key order', async () => {
    const first = await c.post('/v1/contacts', { name: 'Order', phone: '1' }, { 'idempotency-key': 'order-1' });
    const again = await c.post('/v1/contacts', { phone: '1', name: 'Order' }, { 'idempotency-key': 'order-1' });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().id).toBe(first.json().id);
  });

  it('keys are per API key: another key may use the same Idempotency-Key', async () => {
    const other = api(t, (await t.key({ scopes: ['contacts:write'] })).key);
    const a = await c.post('/v1/contacts', { name: 'Shared' }, { 'idempotency-key': 'shared-1' });
    const b = await other.post('/v1/contacts', { name: 'Shared' }, { 'idempotency-key': 'shared-1' });
    expect(b.statusCode).toBe(201);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(b.json().id).not.toBe(a.json().id);
  });

  it('a refused request is not stored: the retry runs again once the cause is gone', async () => {
    const holder = (await c.post('/v1/contacts', { email: 'held@example.com' })).json();
    const refused = await c.post('/v1/contacts', { email: 'held@example.com' }, { 'idempotency-key': 'after-409' });
    expect(refused.statusCode).toBe(409);
    await c.delete(`/v1/contacts/${holder.id}`);
    const retried = await c.post('/v1/contacts', { email: 'held@example.com' }, { 'idempotency-key': 'after-409' });
    expect(retried.statusCode).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
  });

  it.each([
    ['x'.repeat(256), 'longer than 255'],
    ['', 'empty'],
    ['has space', 'not printable ASCII without spaces'],
  ])('an Idempotency-Key that is %s (%s) is 400', async (value) => {
    const res = await c.post('/v1/contacts', { name: 'x' }, { 'idempotency-key': value });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toMatch(/^headers\.idempotency-key/);
    expect((await c.post('/v1/contacts', { name: 'x' }, { 'idempotency-key': 'x'.repeat(255) })).statusCode).toBe(201);
  });

  it('concurrent retries with one key create exactly one row and all get its answer', async () => {
    const before = (await allPages(c, '/v1/contacts')).length;
    const answers = await Promise.all(Array.from({ length: 12 }, () => c.post('/v1/contacts', { name: 'Racer' }, { 'idempotency-key': 'race-1' })));
    expect(answers.map((r) => r.statusCode)).toEqual(Array(12).fill(201));
    expect(new Set(answers.map((r) => r.json().id)).size).toBe(1);
    expect(answers.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(11);
    expect((await allPages(c, '/v1/contacts')).length).toBe(before + 1);
  });

  it('records expire after 24 h: the key then creates again, and prune removes them', async () => {
    const first = (await c.post('/v1/contacts', { name: 'Old' }, { 'idempotency-key': 'old-1' })).json();
    clock.advance(IDEMPOTENCY_TTL_MS - 1000);
    expect((await c.post('/v1/contacts', { name: 'Old' }, { 'idempotency-key': 'old-1' })).json().id).toBe(first.id);
    clock.advance(1000);
    const fresh = await c.post('/v1/contacts', { name: 'Old' }, { 'idempotency-key': 'old-1' });
    expect(fresh.headers['idempotent-replayed']).toBeUndefined();
    expect(fresh.json().id).not.toBe(first.id);

    const count = async () => Number((await t.runtime.store.db.selectFrom('idempotency_keys').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    expect(await count()).toBeGreaterThan(1);
    clock.advance(IDEMPOTENCY_TTL_MS);
    await c.post('/v1/contacts', { name: 'New' }, { 'idempotency-key': 'new-1' });
    expect(await t.runtime.idempotency.prune()).toBeGreaterThan(0);
    expect(await count()).toBe(1);
  });
});
