import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, type TestApp, startTestApp } from '../../helpers/app.js';
import { type Api, allPages, api } from '../../helpers/api.js';
import { testDatabases } from '../../helpers/services.js';

describe.each(await testDatabases())('contacts over HTTP ($name)', (database) => {
  let t: TestApp;
  let c: Api;
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  beforeAll(async () => {
    t = await startTestApp({ database, clock });
    c = api(t, (await t.key({ scopes: ['contacts:read', 'contacts:write', 'conversations:write'] })).key);
  });
  afterAll(() => t?.close());

  it('creates (201), reads, lists and filters a contact; email is stored lowercased and matched in any case', async () => {
    const res = await c.post('/v1/contacts', { email: 'Ada@Example.com', name: 'Ada', phone: '+44 1', external_id: 'crm-1', attributes: { plan: 'pro', seats: 3 } });
    expect(res.statusCode).toBe(201);
    const contact = res.json();
    expect(contact).toMatchObject({ email: 'ada@example.com', name: 'Ada', phone: '+44 1', external_id: 'crm-1', attributes: { plan: 'pro', seats: 3 } });
    expect(contact.id).toMatch(/^ct_[0-9a-z]{26}$/);
    expect(contact.created_at).toBe(new Date(clock.now()).toISOString());
    expect((await c.get(`/v1/contacts/${contact.id}`)).json()).toEqual(contact);
    expect((await c.get('/v1/contacts?email=ADA@example.com')).json().data).toEqual([contact]);
    expect((await c.get('/v1/contacts?external_id=crm-1')).json().data).toEqual([contact]);
    expect((await c.get('/v1/contacts?external_id=crm-none')).json()).toEqual({ data: [], next_cursor: null });
  });

  it('409 conflict naming the field when email or external_id is taken in the tenant', async () => {
    await c.post('/v1/contacts', { email: 'taken@example.com', external_id: 'taken-1' });
    const byEmail = await c.post('/v1/contacts', { email: 'TAKEN@example.com' });
    expect(byEmail.statusCode).toBe(409);
    expect(byEmail.json()).toMatchObject({ code: 'conflict', errors: [{ path: 'body.email' }] });
    const byExternal = await c.post('/v1/contacts', { external_id: 'taken-1' });
    expect(byExternal.statusCode).toBe(409);
    expect(byExternal.json().errors[0].path).toBe('body.external_id');
    const other = (await c.post('/v1/contacts', { email: 'other@example.com' })).json();
    const patch = await c.patch(`/v1/contacts/${other.id}`, { external_id: 'taken-1' });
    expect(patch.statusCode).toBe(409);
    expect(patch.json().errors[0].path).toBe('body.external_id');
  });

  it('the same email may exist in production and in sandbox', async () => {
    const live = api(t, (await t.key({ environment: 'production', scopes: ['contacts:write'] })).key);
    await c.post('/v1/contacts', { email: 'both@example.com' });
    expect((await live.post('/v1/contacts', { email: 'both@example.com' })).statusCode).toBe(201);
  });

  it('patch changes only the given fields; attributes merge and null removes a key; null clears a field', async () => {
    const created = (await c.post('/v1/contacts', { name: 'Bo', email: 'bo@example.com', attributes: { a: 1, b: 2 } })).json();
    clock.advance(1000);
    const res = await c.patch(`/v1/contacts/${created.id}`, { attributes: { b: null, c: 'x' }, email: null });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ name: 'Bo', email: null, attributes: { a: 1, c: 'x' } });
    expect(res.json().updated_at).not.toBe(created.updated_at);
    expect((await c.get(`/v1/contacts/${created.id}`)).json()).toEqual(res.json());
  });

  it('attributes are bounded: more than 50 keys or a value over 1 KiB is 400', async () => {
    const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i]));
    const res = await c.post('/v1/contacts', { attributes: tooMany });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('invalid_request');
    const big = await c.post('/v1/contacts', { attributes: { notes: 'x'.repeat(1100) } });
    expect(big.statusCode).toBe(400);
    expect(big.json().errors).toEqual([{ path: 'body.attributes.notes', message: expect.stringContaining('1024 bytes') }]);
    expect((await c.post('/v1/contacts', { attributes: { notes: 'x'.repeat(1000) } })).statusCode).toBe(201);
    // A merge that would pass 50 keys is refused too.
    const fifty = (await c.post('/v1/contacts', { attributes: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i])) })).json();
    const over = await c.patch(`/v1/contacts/${fifty.id}`, { attributes: { extra: 1 } });
    expect(over.statusCode).toBe(400);
    expect(over.json().errors[0]).toMatchObject({ path: 'body.attributes' });
  });

  it.each([
    [{ email: 'not-an-email' }, 'body.email'],
    [{ nickname: 'x' }, 'body.nickname'],
    [{ external_id: 'x'.repeat(256) }, 'body.external_id'],
    [{ attributes: ['not', 'an', 'object'] }, 'body.attributes'],
    [{ name: 'x'.repeat(201) }, 'body.name'],
  ])('400 invalid_request for %j', async (body, path) => {
    const res = await c.post('/v1/contacts', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('an empty patch is 400; unknown ids, of any shape, are 404', async () => {
    const created = (await c.post('/v1/contacts', {})).json();
    expect((await c.patch(`/v1/contacts/${created.id}`, {})).statusCode).toBe(400);
    expect((await c.get('/v1/contacts/ct_00000000000000000000000000')).statusCode).toBe(404);
    expect((await c.patch('/v1/contacts/ct_00000000000000000000000000', { name: 'x' })).statusCode).toBe(404);
    expect((await c.delete('/v1/contacts/ct_00000000000000000000000000')).statusCode).toBe(404);
    expect((await c.get('/v1/contacts/cv_00000000000000000000000000')).statusCode).toBe(404);
    expect((await c.get('/v1/contacts/not-an-id')).statusCode).toBe(404);
  });

  it('upsert by external_id: 201 created, then 200 replaced (every field, attributes included)', async () => {
    const first = await c.put('/v1/contacts/by-external-id/shop-42', { email: 'up@example.com', name: 'Up', attributes: { a: 1 } });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ external_id: 'shop-42', email: 'up@example.com', name: 'Up' });
    const second = await c.put('/v1/contacts/by-external-id/shop-42', { name: 'Up 2' });
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({ id: first.json().id, external_id: 'shop-42', email: null, name: 'Up 2', attributes: {} });
    const mismatch = await c.put('/v1/contacts/by-external-id/shop-42', { external_id: 'other' });
    expect(mismatch.statusCode).toBe(400);
    await c.post('/v1/contacts', { email: 'owner@example.com' });
    const taken = await c.put('/v1/contacts/by-external-id/shop-43', { email: 'owner@example.com' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().errors[0].path).toBe('body.email');
  });

  it('concurrent upserts of one new external_id make one contact', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => c.put('/v1/contacts/by-external-id/race-1', { name: `n${i}` })));
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((r) => r.json().id)).size).toBe(1);
    expect((await c.get('/v1/contacts?external_id=race-1')).json().data).toHaveLength(1);
  });

  it('delete: 204, then 404; a contact with conversations is 409 unless ?cascade=true, which removes them', async () => {
    const plain = (await c.post('/v1/contacts', {})).json();
    expect((await c.delete(`/v1/contacts/${plain.id}`)).statusCode).toBe(204);
    expect((await c.get(`/v1/contacts/${plain.id}`)).statusCode).toBe(404);

    const busy = (await c.post('/v1/contacts', {})).json();
    const conversation = (await c.post('/v1/conversations', { contact_id: busy.id, message: { body: 'hi' } })).json();
    const refused = await c.delete(`/v1/contacts/${busy.id}`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('conflict');
    expect((await c.get(`/v1/contacts/${busy.id}`)).statusCode).toBe(200);
    expect((await c.delete(`/v1/contacts/${busy.id}?cascade=true`)).statusCode).toBe(204);
    expect((await c.get(`/v1/contacts/${busy.id}`)).statusCode).toBe(404);
    const reader = api(t, (await t.key({ scopes: ['conversations:read'] })).key);
    expect((await reader.get(`/v1/conversations/${conversation.id}`)).statusCode).toBe(404);
  });

  it('lists newest first across pages', async () => {
    const fresh = await startTestApp({ database, clock });
    try {
      const client = api(fresh, (await fresh.key({ scopes: ['contacts:read', 'contacts:write'] })).key);
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        clock.advance(1);
        ids.push((await client.post('/v1/contacts', { name: `c${i}` })).json().id);
      }
      const page = (await client.get('/v1/contacts?limit=3')).json();
      expect(page.data.map((x: { id: string }) => x.id)).toEqual(ids.slice(-3).reverse());
      expect((await allPages<{ id: string }>(client, '/v1/contacts', 3)).map((x) => x.id)).toEqual([...ids].reverse());
    } finally {
      await fresh.close();
    }
  });
});
