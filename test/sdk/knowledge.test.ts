/** The SDK's knowledge methods against the real server over loopback HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Atender, ConflictError, InvalidRequestError, NotFoundError, PermissionError } from '../../src/sdk/index.js';
import { type TestApp, startTestApp } from '../helpers/app.js';

let t: TestApp;
let client: Atender;
let url: string;

beforeAll(async () => {
  t = await startTestApp();
  url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  client = new Atender({ apiKey: (await t.key({ scopes: ['knowledge:read', 'knowledge:write'] })).key, baseUrl: url });
});
afterAll(async () => t?.close());

describe('client.knowledge.articles', () => {
  it('creates, reads, updates, upserts, lists and deletes', async () => {
    const a = await client.knowledge.articles.create({ title: 'Refunds', body: '# Refunds', slug: 'refunds', collection: 'billing' });
    expect(a).toMatchObject({ id: expect.stringMatching(/^art_/), slug: 'refunds', status: 'draft', collection: 'billing' });
    expect(await client.knowledge.articles.get(a.id)).toEqual(a);
    expect(await client.knowledge.articles.getBySlug('refunds')).toEqual(a);
    expect(await client.knowledge.articles.update(a.id, { status: 'published' })).toMatchObject({ id: a.id, status: 'published', title: 'Refunds' });

    const created = await client.knowledge.articles.upsertBySlug('shipping', { title: 'Shipping', body: 'v1' });
    expect(created.created).toBe(true);
    const replaced = await client.knowledge.articles.upsertBySlug('shipping', { title: 'Shipping', body: 'v2' });
    expect(replaced).toMatchObject({ created: false, article: { id: created.article.id, body: 'v2' } });

    const slugs: string[] = [];
    for await (const article of client.knowledge.articles.list({ limit: 1 })) slugs.push(article.slug);
    expect(slugs).toEqual(['shipping', 'refunds']);

    await client.knowledge.articles.delete(a.id);
    await expect(client.knowledge.articles.get(a.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('turns the server’s problems into typed errors', async () => {
    await client.knowledge.articles.create({ title: 'Dup', body: '', slug: 'dup' });
    const conflict = await client.knowledge.articles.create({ title: 'Dup', body: '', slug: 'dup' }).catch((e) => e);
    expect(conflict).toBeInstanceOf(ConflictError);
    expect(conflict.requestId).toMatch(/^req_/);

    const invalid = await client.request('POST', '/v1/knowledge/articles', { body: { title: 'x', body: '', extra: 1 } }).catch((e) => e);
    expect(invalid).toBeInstanceOf(InvalidRequestError);
    expect(invalid.errors).toContainEqual({ path: 'body.extra', message: 'is not a known field' });

    const reader = new Atender({ apiKey: (await t.key({ scopes: ['knowledge:read'] })).key, baseUrl: url });
    const denied = await reader.knowledge.articles.create({ title: 'x', body: '' }).catch((e) => e);
    expect(denied).toBeInstanceOf(PermissionError);
    expect(denied).toMatchObject({ status: 403, code: 'insufficient_scope', requiredScopes: ['knowledge:write'], message: 'this endpoint needs knowledge:write; the key lacks knowledge:write' });
  });

  it('reports the key through me()', async () => {
    expect(await client.me()).toMatchObject({ environment: 'sandbox', scopes: ['knowledge:read', 'knowledge:write'], tier: 'standard', limits: { per_minute: 600 } });
  });
});
