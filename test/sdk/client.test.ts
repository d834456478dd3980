import { afterEach, describe, expect, it, vi } from 'vitest';
import { generateKey } from '../../src/core/keys.js';
import { Atender, AtenderConfigError } from '../../src/sdk/index.js';
import { type FaultServer, startFaultServer } from '../helpers/fault-server.js';

let server: FaultServer | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

describe('the API key', () => {
  const refused = (apiKey: string) => {
    const fetch = vi.fn();
    let error: unknown;
    try {
      new Atender({ apiKey, baseUrl: 'http://127.0.0.1:1', fetch });
    } catch (e) {
      error = e;
    }
    expect(fetch).not.toHaveBeenCalled();
    return error as AtenderConfigError;
  };

  it('refuses a key whose checksum does not match, without sending it and without echoing it', () => {
    const good = generateKey('production');
    const typo = good.slice(0, 20) + (good[20] === 'a' ? 'b' : 'a') + good.slice(21);
    const error = refused(typo);
    expect(error).toBeInstanceOf(AtenderConfigError);
    expect(error.code).toBe('malformed_api_key');
    expect(error.message).toMatch(/checksum/);
    expect(error.message).not.toContain(typo.slice(8));
  });

  it('refuses keys that do not have the format', () => {
    for (const bad of ['sa_prod_' + 'a'.repeat(46), generateKey('sandbox').slice(0, -1), `${generateKey('sandbox')} `, 'Bearer x']) {
      expect(refused(bad).code).toBe('malformed_api_key');
    }
  });

  it('refuses to start without a key or a server URL', () => {
    vi.stubEnv('ATENDER_API_KEY', '');
    vi.stubEnv('ATENDER_API_URL', '');
    expect(() => new Atender({ baseUrl: 'http://127.0.0.1:1' })).toThrow(expect.objectContaining({ code: 'missing_api_key' }));
    expect(() => new Atender({ apiKey: generateKey('sandbox') })).toThrow(expect.objectContaining({ code: 'missing_base_url' }));
    expect(() => new Atender({ apiKey: generateKey('sandbox'), baseUrl: 'ftp://x' })).toThrow(expect.objectContaining({ code: 'invalid_base_url' }));
  });

  it('takes the key and URL from ATENDER_API_KEY and ATENDER_API_URL, tolerating a trailing /v1', async () => {
    server = await startFaultServer(() => ({ status: 200, body: { id: 'key_1' } }));
    const key = generateKey('sandbox');
    vi.stubEnv('ATENDER_API_KEY', key);
    vi.stubEnv('ATENDER_API_URL', `${server.url}/v1/`);
    const client = new Atender();
    expect(client.environment).toBe('sandbox');
    await client.me();
    expect(server.requests[0]).toMatchObject({ method: 'GET', url: '/v1/me' });
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${key}`);
    expect(new Atender({ apiKey: generateKey('production'), baseUrl: server.url }).environment).toBe('production');
  });
});

describe('pagination', () => {
  const items = Array.from({ length: 230 }, (_, i) => ({ id: `art_${String(i).padStart(3, '0')}` }));

  async function listing() {
    server = await startFaultServer((req) => {
      const url = new URL(req.url, 'http://x');
      const limit = Number(url.searchParams.get('limit'));
      const start = url.searchParams.has('cursor') ? Number(url.searchParams.get('cursor')) : 0;
      const end = Math.min(items.length, start + limit);
      return { status: 200, body: { data: items.slice(start, end), next_cursor: end < items.length ? String(end) : null } };
    });
    return new Atender({ apiKey: generateKey('sandbox'), baseUrl: server.url });
  }

  it('iterates every item across pages, 100 per request unless told otherwise, and sends nothing until iterated', async () => {
    const client = await listing();
    const list = client.knowledge.articles.list();
    expect(server!.requests).toHaveLength(0);
    const seen: string[] = [];
    for await (const a of list) seen.push(a.id);
    expect(seen).toEqual(items.map((i) => i.id));
    expect(server!.requests.map((r) => r.url)).toEqual(['/v1/knowledge/articles?limit=100', '/v1/knowledge/articles?limit=100&cursor=100', '/v1/knowledge/articles?limit=100&cursor=200']);
  });

  it('honours limit as the page size and stops early when the loop breaks', async () => {
    const client = await listing();
    let n = 0;
    for await (const _ of client.knowledge.articles.list({ limit: 7 })) if (++n === 10) break;
    expect(server!.requests).toHaveLength(2);
    expect(await client.knowledge.articles.list({ limit: 50 }).toArray(60)).toHaveLength(60);
    const page = await client.knowledge.articles.list({ limit: 5, cursor: '225' }).page();
    expect(page).toEqual({ data: items.slice(225), next_cursor: null });
  });
});
