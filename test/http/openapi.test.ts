import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../helpers/app.js';
import { V1_ROUTES } from '../helpers/routes.js';

interface Operation {
  security?: { apiKey?: string[] }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
  parameters?: { in: string; name: string }[];
}

describe('GET /openapi.json documents the tenant API', () => {
  let t: TestApp;
  let paths: Record<string, Record<string, Operation>>;
  beforeAll(async () => {
    t = await startTestApp();
    paths = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json().paths;
  });
  afterAll(() => t.close());

  const operations = () =>
    Object.entries(paths)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), op })));

  it('lists exactly the routes of SPEC section 6', () => {
    const documented = operations().map(({ method, path }) => `${method} ${path}`).sort();
    expect(documented).toEqual(V1_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('every /v1 operation has a security entry naming the scopes it needs', () => {
    for (const { method, path, op } of operations()) {
      const spec = V1_ROUTES.find((r) => r.method === method && r.path === path)!;
      expect(op.security, `${method} ${path}`).toEqual([{ apiKey: spec.scopes }]);
    }
  });

  it('every operation has a response schema; every body-taking one a request schema; every creating POST the Idempotency-Key header', () => {
    for (const { method, path, op } of operations()) {
      const success = Object.entries(op.responses).filter(([status]) => status.startsWith('2'));
      expect(success.length, `${method} ${path}`).toBeGreaterThan(0);
      for (const [status, response] of success) if (status !== '204') expect(response.content?.['application/json']?.schema, `${method} ${path} ${status}`).toBeDefined();
      if (['POST', 'PATCH', 'PUT'].includes(method)) expect(op.requestBody?.content['application/json']?.schema, `${method} ${path}`).toBeDefined();
      if (method === 'POST') expect(op.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key'), `${method} ${path}`).toBe(true);
    }
  });
});
