/** The human side of the API: problem pages, the OpenAPI document and the reference page. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBLEMS } from '../../src/core/problems.js';
import { type TestApp, startTestApp } from '../helpers/app.js';

describe('docs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('GET /problems/<code> serves a page for every code in the catalogue', async () => {
    for (const [code, p] of Object.entries(PROBLEMS)) {
      const res = await t.request(null, { method: 'GET', url: `/problems/${code}` });
      expect(res.statusCode, code).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain(p.title);
      expect(res.body).toContain(`HTTP ${p.status}`);
      expect(res.body).toContain(code);
    }
  });

  it('the type of a real problem resolves to its page; unknown codes are 404', async () => {
    const problem = (await t.request(null, { method: 'GET', url: '/v1/me' })).json();
    expect((await t.request(null, { method: 'GET', url: problem.type })).statusCode).toBe(200);
    for (const url of ['/problems/nope', '/problems/toString', '/problems/__proto__', '/problems/']) {
      const res = await t.request(null, { method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().code).toBe('not_found');
    }
  });

  it('/openapi.json is OpenAPI 3.1 with every /v1 route and its scopes as bearer security', async () => {
    const res = await t.request(null, { method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    const documented: Record<string, string[]> = {};
    for (const [path, ops] of Object.entries<Record<string, { security?: Record<string, string[]>[] }>>(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!path.startsWith('/v1/')) continue;
        expect(op.security, `${method} ${path}`).toHaveLength(1);
        documented[`${method.toUpperCase()} ${path}`] = op.security![0]!.apiKey!;
        // Every documented operation is a real route.
        expect(t.app.hasRoute({ method: method.toUpperCase() as 'GET', url: path.replace(/\{(\w+)\}/g, ':$1') }), `${method} ${path}`).toBe(true);
      }
    }
    expect(documented).toMatchObject({
      'GET /v1/me': [],
      'GET /v1/knowledge/articles': ['knowledge:read'],
      'GET /v1/knowledge/articles/{id}': ['knowledge:read'],
      'GET /v1/knowledge/articles/by-slug/{slug}': ['knowledge:read'],
      'POST /v1/knowledge/articles': ['knowledge:write'],
      'PATCH /v1/knowledge/articles/{id}': ['knowledge:write'],
      'DELETE /v1/knowledge/articles/{id}': ['knowledge:write'],
      'PUT /v1/knowledge/articles/by-slug/{slug}': ['knowledge:write'],
    });
    // Internal routes stay out of the tenant API's document.
    expect(Object.keys(doc.paths).filter((p) => ['/healthz', '/openapi.json'].includes(p) || p.startsWith('/problems'))).toEqual([]);
  });

  it('/docs renders the reference page, and its assets load', async () => {
    const page = await t.request(null, { method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((a) => !a.startsWith('http'));
    expect(assets.length).toBeGreaterThan(1);
    for (const asset of assets) {
      const url = new URL(asset, 'http://x/docs/').pathname;
      const res = await t.request(null, { method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
    }
    const spec = await t.request(null, { method: 'GET', url: '/docs/json' });
    expect(spec.json().paths['/v1/me']).toBeDefined();
  });
});
