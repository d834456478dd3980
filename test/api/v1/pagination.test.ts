import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_SCOPES } from '../../../src/core/scopes.js';
import { ManualClock, type TestApp, startTestApp } from '../../helpers/app.js';
import { type Api, api } from '../../helpers/api.js';

describe('cursor pagination on every list', () => {
  let t: TestApp;
  let c: Api;
  let lists: { url: string; add: () => Promise<string>; order: 'desc' | 'asc' }[];
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));

  beforeAll(async () => {
    t = await startTestApp({ clock });
    c = api(t, (await t.key({ scopes: ALL_SCOPES })).key);
    const contactId = (await c.post('/v1/contacts', {})).json().id;
    const conversationId = (await c.post('/v1/conversations', { contact_id: contactId })).json().id;
    let n = 0;
    const created = async (url: string, body: unknown) => {
      clock.advance(1);
      const res = await c.post(url, body);
      expect(res.statusCode).toBe(201);
      return res.json().id as string;
    };
    lists = [
      { url: '/v1/knowledge/articles', add: () => created('/v1/knowledge/articles', { title: `a${n++}`, body: '' }), order: 'desc' },
      { url: '/v1/contacts', add: () => created('/v1/contacts', {}), order: 'desc' },
      { url: '/v1/conversations', add: () => created('/v1/conversations', { contact_id: contactId }), order: 'desc' },
      { url: `/v1/conversations/${conversationId}/messages`, add: () => created(`/v1/conversations/${conversationId}/messages`, { body: 'm', author: { type: 'bot' } }), order: 'asc' },
    ];
    for (const list of lists) for (let i = 0; i < 21; i++) await list.add();
  });
  afterAll(() => t.close());

  it('every row present when the walk began is seen exactly once, in order, while rows are inserted between pages', async () => {
    for (const list of lists) {
      const before: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { data: { id: string }[]; next_cursor: string | null } = (await c.get(`${list.url}?limit=100${cursor ? `&cursor=${cursor}` : ''}`)).json();
        before.push(...page.data.map((x: { id: string }) => x.id));
        cursor = page.next_cursor;
      } while (cursor);

      const seen: string[] = [];
      const inserted: string[] = [];
      cursor = null;
      do {
        const page: { data: { id: string }[]; next_cursor: string | null } = (await c.get(`${list.url}?limit=4${cursor ? `&cursor=${cursor}` : ''}`)).json();
        expect(page.data.length).toBeLessThanOrEqual(4);
        seen.push(...page.data.map((x: { id: string }) => x.id));
        cursor = page.next_cursor;
        inserted.push(await list.add());
      } while (cursor);
      expect(new Set(seen).size, list.url).toBe(seen.length);
      if (list.order === 'desc') {
        // Newest first: rows inserted during the walk are newer than the cursor and never show up.
        expect(seen, list.url).toEqual(before);
      } else {
        // Oldest first: the walk reaches the rows appended while it ran, in order.
        expect(seen.slice(0, before.length), list.url).toEqual(before);
        expect(seen.slice(before.length), list.url).toEqual(inserted.slice(0, seen.length - before.length));
      }
      const sorted = [...seen].sort();
      expect(seen, list.url).toEqual(list.order === 'desc' ? sorted.reverse() : sorted);
    }
  });

  it('the last page has next_cursor null; limit defaults to 20', async () => {
    for (const list of lists) {
      const page = (await c.get(list.url)).json();
      expect(page.data).toHaveLength(20);
      expect(page.next_cursor).toEqual(expect.any(String));
      const all = (await c.get(`${list.url}?limit=100`)).json();
      expect(all.next_cursor).toBeNull();
    }
  });

  it.each(['limit=0', 'limit=101', 'limit=abc', 'cursor=not-a-cursor', `cursor=${Buffer.from('ct_short').toString('base64url')}`])('?%s is 400 invalid_request on every list', async (query) => {
    for (const list of lists) {
      const res = await c.get(`${list.url}?${query}`);
      expect(res.statusCode, `${list.url}?${query}`).toBe(400);
      expect(res.json().code).toBe('invalid_request');
    }
  });
});
