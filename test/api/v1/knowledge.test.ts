/** The knowledge base over HTTP (SPEC section 6). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../../helpers/app.js';

const articles = '/v1/knowledge/articles';

describe('knowledge base', () => {
  let t: TestApp;
  let key: string;
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object) => t.request(key, { method, url, ...(payload ? { payload } : {}) });
  beforeAll(async () => {
    t = await startTestApp();
    key = (await t.key({ scopes: ['knowledge:read', 'knowledge:write'] })).key;
  });
  afterAll(() => t.close());

  it('create: 201, a draft by default, the slug from the title, an art_ id', async () => {
    const res = await call('POST', articles, { title: 'Reset your password', body: '# Steps\n\n1. Click *forgot*.' });
    expect(res.statusCode).toBe(201);
    const a = res.json();
    expect(a).toMatchObject({ slug: 'reset-your-password', title: 'Reset your password', body: '# Steps\n\n1. Click *forgot*.', collection: null, status: 'draft' });
    expect(a.id).toMatch(/^art_[0-9a-z]{26}$/);
    expect(new Date(a.created_at).toISOString()).toBe(a.created_at);
    expect(a.updated_at).toBe(a.created_at);
    // A second article with the same title gets the next free slug.
    expect((await call('POST', articles, { title: 'Reset your password', body: '' })).json().slug).toBe('reset-your-password-2');
    // Titles with nothing sluggable, and long titles, still give a usable slug.
    const odd = (await call('POST', articles, { title: '¿¡!?', body: 'x' })).json();
    expect(odd.slug).toBe('article');
    const long = (await call('POST', articles, { title: `${'a'.repeat(47)} b c`, body: 'x' })).json();
    expect((await call('GET', `${articles}/by-slug/${long.slug}`)).statusCode).toBe(200);
  });

  it('get by id and by slug', async () => {
    const a = (await call('POST', articles, { title: 'Billing FAQ', body: 'b', slug: 'billing-faq', collection: 'billing', status: 'published' })).json();
    expect((await call('GET', `${articles}/${a.id}`)).json()).toEqual(a);
    expect((await call('GET', `${articles}/by-slug/billing-faq`)).json()).toEqual(a);
  });

  it('patch changes only the given fields and moves updated_at', async () => {
    const a = (await call('POST', articles, { title: 'Old', body: 'body stays', collection: 'c1' })).json();
    await new Promise((r) => setTimeout(r, 5));
    const res = await call('PATCH', `${articles}/${a.id}`, { title: 'New', status: 'published', collection: null });
    expect(res.statusCode).toBe(200);
    const b = res.json();
    expect(b).toMatchObject({ id: a.id, slug: a.slug, title: 'New', body: 'body stays', status: 'published', collection: null, created_at: a.created_at });
    expect(b.updated_at > a.updated_at).toBe(true);
    expect((await call('GET', `${articles}/${a.id}`)).json()).toEqual(b);
  });

  it('delete: 204 with no body, then 404', async () => {
    const a = (await call('POST', articles, { title: 'Doomed', body: 'x' })).json();
    const res = await call('DELETE', `${articles}/${a.id}`);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await call('GET', `${articles}/${a.id}`)).statusCode).toBe(404);
    expect((await call('DELETE', `${articles}/${a.id}`)).statusCode).toBe(404);
  });

  it('upsert by slug: 201 created, then 200 replaced (same id, every field replaced)', async () => {
    const first = await call('PUT', `${articles}/by-slug/shipping`, { title: 'Shipping', body: 'v1', collection: 'orders', status: 'published' });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ slug: 'shipping', body: 'v1', collection: 'orders', status: 'published' });
    const second = await call('PUT', `${articles}/by-slug/shipping`, { title: 'Shipping times', body: 'v2' });
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({ id: first.json().id, slug: 'shipping', title: 'Shipping times', body: 'v2', collection: null, status: 'draft' });
    expect((await call('GET', `${articles}/by-slug/shipping`)).json()).toEqual(second.json());
    // A body slug that contradicts the path is refused.
    expect((await call('PUT', `${articles}/by-slug/shipping`, { title: 't', body: 'b', slug: 'other' })).statusCode).toBe(400);
  });

  it('409 conflict for a slug already in use (create and patch)', async () => {
    await call('POST', articles, { title: 'One', body: 'x', slug: 'taken' });
    const create = await call('POST', articles, { title: 'Two', body: 'x', slug: 'taken' });
    expect(create.statusCode).toBe(409);
    expect(create.json().code).toBe('conflict');
    const other = (await call('POST', articles, { title: 'Three', body: 'x' })).json();
    const patch = await call('PATCH', `${articles}/${other.id}`, { slug: 'taken' });
    expect(patch.statusCode).toBe(409);
    expect(patch.json().code).toBe('conflict');
  });

  it('400 for a title of nothing but spaces, naming the field; nothing is created', async () => {
    const res = await call('POST', articles, { title: '   ', body: 'b', slug: 'blank-title' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'invalid_request', errors: [{ path: 'body.title', message: 'must contain more than spaces' }] });
    expect((await call('GET', `${articles}/by-slug/blank-title`)).statusCode).toBe(404);
  });

  it('400 for a slug outside the slug alphabet', async () => {
    expect((await call('POST', articles, { title: 't', body: 'b', slug: 'Not A Slug' })).json().errors[0].path).toBe('body.slug');
    expect((await call('GET', `${articles}/by-slug/UPPER`)).statusCode).toBe(400);
  });

  it('an id from the other environment is 404, never its data; lists stay per tenant', async () => {
    const production = (await t.key({ environment: 'production', scopes: ['knowledge:read', 'knowledge:write'] })).key;
    const live = (await t.request(production, { method: 'POST', url: articles, payload: { title: 'Live only', body: 'secret', slug: 'live-only' } })).json();
    for (const [method, url, payload] of [
      ['GET', `${articles}/${live.id}`],
      ['GET', `${articles}/by-slug/live-only`],
      ['PATCH', `${articles}/${live.id}`, { title: 'hijack' }],
      ['DELETE', `${articles}/${live.id}`],
    ] as const) {
      const res = await t.request(key, { method, url, ...(payload ? { payload } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.body).not.toContain('secret');
    }
    // The sandbox may use the same slug for its own article.
    expect((await call('PUT', `${articles}/by-slug/live-only`, { title: 'Sandbox copy', body: 'x' })).statusCode).toBe(201);
    expect((await t.request(production, { method: 'GET', url: `${articles}/${live.id}` })).json()).toMatchObject({ title: 'Live only', body: 'secret' });
    const sandboxList = (await call('GET', `${articles}?limit=100`)).json();
    expect(sandboxList.data.map((a: { id: string }) => a.id)).not.toContain(live.id);
  });
});

describe('listing with cursors', () => {
  let t: TestApp;
  let key: string;
  beforeAll(async () => {
    t = await startTestApp();
    key = (await t.key({ scopes: ['knowledge:read', 'knowledge:write'] })).key;
  });
  afterAll(() => t.close());

  const create = async (i: number) => (await t.request(key, { method: 'POST', url: articles, payload: { title: `Article ${i}`, body: String(i) } })).json().id as string;

  it('an empty list', async () => {
    expect((await t.request(key, { method: 'GET', url: articles })).json()).toEqual({ data: [], next_cursor: null });
  });

  it('newest first, default page of 20, limit 1-100, and a cursor to the end', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 45; i++) ids.push(await create(i));
    const newestFirst = [...ids].reverse();
    const first = (await t.request(key, { method: 'GET', url: articles })).json();
    expect(first.data.map((a: { id: string }) => a.id)).toEqual(newestFirst.slice(0, 20));
    expect(typeof first.next_cursor).toBe('string');
    expect((await t.request(key, { method: 'GET', url: `${articles}?limit=100` })).json()).toMatchObject({ next_cursor: null });
    expect((await t.request(key, { method: 'GET', url: `${articles}?limit=1` })).json().data).toHaveLength(1);
    // Exactly 45 with limit 45 → no next page; 44 → one more.
    expect((await t.request(key, { method: 'GET', url: `${articles}?limit=45` })).json().next_cursor).toBeNull();
    expect((await t.request(key, { method: 'GET', url: `${articles}?limit=44` })).json().next_cursor).not.toBeNull();
  });

  it('stays correct while rows are inserted and deleted between pages: every older row exactly once', async () => {
    const all = (await t.request(key, { method: 'GET', url: `${articles}?limit=100` })).json().data.map((a: { id: string }) => a.id) as string[];
    const seen: string[] = [];
    const deleted = new Set<string>();
    let cursor: string | null = null;
    let round = 0;
    do {
      const page: { data: { id: string }[]; next_cursor: string | null } = (
        await t.request(key, { method: 'GET', url: `${articles}?limit=7${cursor ? `&cursor=${cursor}` : ''}` })
      ).json();
      seen.push(...page.data.map((a) => a.id));
      cursor = page.next_cursor;
      // Meanwhile: new articles arrive, and an old one not yet seen is deleted.
      await create(1000 + round);
      await create(2000 + round);
      const victim = all.find((id) => !seen.includes(id) && !deleted.has(id));
      if (victim && round % 2 === 0) {
        await t.request(key, { method: 'DELETE', url: `${articles}/${victim}` });
        deleted.add(victim);
      }
      round++;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(all.filter((id) => !deleted.has(id)));
  });
});
