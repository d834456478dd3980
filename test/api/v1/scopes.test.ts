import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_SCOPES } from '../../../src/core/scopes.js';
import { type TestApp, startTestApp } from '../../helpers/app.js';
import { V1_ROUTES, concreteUrl } from '../../helpers/routes.js';

describe('every tenant route refuses a key lacking any scope it needs (SPEC sections 3 and 6)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const guardedRoutes = V1_ROUTES.filter((r) => r.scopes.length > 0);
  const cases = guardedRoutes.flatMap((route) => route.scopes.map((missing) => ({ ...route, missing })));

  it.each(cases)('$method $path without $missing → 403 insufficient_scope', async ({ method, path, scopes, missing }) => {
    // Every other scope in the catalogue: no scope implies another.
    const key = await t.key({ scopes: ALL_SCOPES.filter((s) => s !== missing) });
    const res = await t.request(key.key, { method, url: concreteUrl(path), ...(method === 'GET' || method === 'DELETE' ? {} : { payload: {} }) });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'insufficient_scope', required_scopes: scopes });
    expect(res.json().detail).toContain(missing);
    expect(res.headers['www-authenticate']).toBe(`Bearer realm="atender", error="insufficient_scope", scope="${scopes.join(' ')}"`);
  });

  it.each(guardedRoutes)('$method $path with exactly its scopes passes the scope check', async ({ method, path, scopes }) => {
    const key = await t.key({ scopes });
    const res = await t.request(key.key, { method, url: concreteUrl(path), ...(method === 'GET' || method === 'DELETE' ? {} : { payload: {} }) });
    expect(res.statusCode).not.toBe(403);
    expect([200, 201, 400, 404]).toContain(res.statusCode);
  });

  it('a key with no scope is refused everywhere but /v1/me', async () => {
    const key = await t.key({ scopes: [] });
    for (const { method, path, scopes } of V1_ROUTES) {
      const res = await t.request(key.key, { method, url: concreteUrl(path), ...(method === 'GET' || method === 'DELETE' ? {} : { payload: {} }) });
      expect(res.statusCode, `${method} ${path}`).toBe(scopes.length === 0 ? 200 : 403);
    }
  });
});
