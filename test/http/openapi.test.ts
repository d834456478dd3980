import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../helpers/app.js';
import { V1_ROUTES } from '../helpers/routes.js';

interface Operation {
  security?: { apiKey?: string[] }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }>; headers?: Record<string, { schema: { type: string } }> }>;
  parameters?: { in: string; name: string }[];
}

describe('GET /openapi.json documents the tenant API', () => {
  let t: TestApp;
  let paths: Record<string, Record<string, Operation>>;
  let schemas: Record<string, { required?: string[] }>;
  beforeAll(async () => {
    t = await startTestApp();
    const document = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    paths = document.paths;
    schemas = document.components.schemas;
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

  it('documents what the key pipeline adds: rate-limit headers on success, Idempotent-Replayed where a key is taken, and its refusals as problem+json', async () => {
    const rateLimit = ['RateLimit-Policy', 'RateLimit', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'];
    expect(schemas.Problem?.required).toEqual(['type', 'title', 'status', 'detail', 'code', 'request_id']);
    for (const { method, path, op } of operations()) {
      const where = `${method} ${path}`;
      for (const [status, response] of Object.entries(op.responses).filter(([s]) => s.startsWith('2'))) {
        expect(Object.keys(response.headers ?? {}), `${where} ${status}`).toEqual(expect.arrayContaining(rateLimit));
        expect('Idempotent-Replayed' in (response.headers ?? {}), `${where} ${status}`).toBe(method === 'POST');
      }
      for (const status of ['401', '403', '429']) {
        expect(op.responses[status]?.content?.['application/problem+json']?.schema, `${where} ${status}`).toEqual({ $ref: '#/components/schemas/Problem' });
      }
      expect(op.responses['429']?.headers?.['Retry-After']?.schema.type, where).toBe('integer');
    }
    // What it documents is what a request gets.
    const key = await t.key({ scopes: ['contacts:write'] });
    const created = await t.request(key.key, { method: 'POST', url: '/v1/contacts', payload: { email: 'doc@example.com' }, headers: { 'idempotency-key': 'doc-1' } });
    const replayed = await t.request(key.key, { method: 'POST', url: '/v1/contacts', payload: { email: 'doc@example.com' }, headers: { 'idempotency-key': 'doc-1' } });
    for (const name of rateLimit) expect(created.headers[name.toLowerCase()], name).toBeDefined();
    expect(replayed.headers['idempotent-replayed']).toBe('true');
  });
});
