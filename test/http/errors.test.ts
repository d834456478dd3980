/** Every documented error path of SPEC section 5 that the tenant API has today, as a client sees it. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { generateKey } from '../../src/core/keys.js';
import { buildApp } from '../../src/http/app.js';
import { type ServingRuntime, openServingRuntime } from '../../src/runtime.js';
import { OPERATOR } from '../../src/store/audit-repo.js';
import { type TestApp, startTestApp } from '../helpers/app.js';
import { sqliteDatabase } from '../helpers/services.js';

const articles = '/v1/knowledge/articles';

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json: () => any }, status: number, code: string) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body).toMatchObject({ type: `/problems/${code}`, status, code });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  expect(body.request_id).toBe(res.headers['request-id']);
  return body;
}

describe('errors of the tenant API', () => {
  let t: TestApp;
  let writer: string;
  beforeAll(async () => {
    t = await startTestApp();
    writer = (await t.key({ scopes: ['knowledge:read', 'knowledge:write'] })).key;
  });
  afterAll(() => t.close());

  describe('400 invalid_request with errors[{path, message}]', () => {
    it('an unknown field', async () => {
      const body = expectProblem(await t.request(writer, { method: 'POST', url: articles, payload: { title: 'a', body: 'b', author: 'me' } }), 400, 'invalid_request');
      expect(body.errors).toEqual([{ path: 'body.author', message: 'is not a known field' }]);
    });

    it('a missing field', async () => {
      const body = expectProblem(await t.request(writer, { method: 'POST', url: articles, payload: { title: 'a' } }), 400, 'invalid_request');
      expect(body.errors).toEqual([{ path: 'body.body', message: 'is required' }]);
    });

    it('wrong types are refused, not coerced', async () => {
      const body = expectProblem(await t.request(writer, { method: 'POST', url: articles, payload: { title: 5, body: true } }), 400, 'invalid_request');
      expect(body.errors).toEqual(
        expect.arrayContaining([
          { path: 'body.title', message: 'must be string' },
          { path: 'body.body', message: 'must be string' },
        ]),
      );
      const status = expectProblem(await t.request(writer, { method: 'POST', url: articles, payload: { title: 'a', body: 'b', status: 'live' } }), 400, 'invalid_request');
      expect(status.errors.map((e: { path: string }) => e.path)).toContain('body.status');
    });

    it('a body that is not JSON, or is empty, or is not an object', async () => {
      const headers = { 'content-type': 'application/json' };
      expect(expectProblem(await t.request(writer, { method: 'POST', url: articles, payload: '{"title": ', headers }), 400, 'invalid_request').errors).toEqual([{ path: 'body', message: 'is not valid JSON' }]);
      expectProblem(await t.request(writer, { method: 'POST', url: articles, payload: '', headers }), 400, 'invalid_request');
      expectProblem(await t.request(writer, { method: 'POST', url: articles, payload: '[1,2]', headers }), 400, 'invalid_request');
      expectProblem(await t.request(writer, { method: 'PATCH', url: `${articles}/art_x`, payload: {} }), 400, 'invalid_request');
    });

    it.each(['0', '101', '-1', 'ten', '1.5'])('limit=%s is outside 1-100', async (limit) => {
      const body = expectProblem(await t.request(writer, { method: 'GET', url: `${articles}?limit=${limit}` }), 400, 'invalid_request');
      expect(body.errors[0].path).toBe('querystring.limit');
    });

    it.each(['garbage', Buffer.from('key_01kdwpvng0w5ef3h8am7j159yv; drop').toString('base64url'), 'x'.repeat(300)])('a cursor this API did not return (%#)', async (cursor) => {
      const body = expectProblem(await t.request(writer, { method: 'GET', url: `${articles}?cursor=${encodeURIComponent(cursor)}` }), 400, 'invalid_request');
      expect(body.errors[0].path).toBe('querystring.cursor');
    });

    it('a URL that cannot be decoded still answers problem+json with a Request-Id', async () => {
      expectProblem(await t.request(writer, { method: 'GET', url: `${articles}/%E0%A4%A` }), 400, 'invalid_request');
      expectProblem(await t.request(null, { method: 'GET', url: '/%E0%A4%A' }), 400, 'invalid_request');
    });
  });

  it('413 payload_too_large over 1 MiB; exactly 1 MiB is read', async () => {
    const over = JSON.stringify({ title: 'a', body: 'x'.repeat(1024 * 1024) });
    expectProblem(await t.request(writer, { method: 'POST', url: articles, payload: over, headers: { 'content-type': 'application/json' } }), 413, 'payload_too_large');
    const envelope = JSON.stringify({ title: 'a', body: '' }).length;
    const exact = JSON.stringify({ title: 'a', body: 'x'.repeat(1024 * 1024 - envelope) });
    expect(exact.length).toBe(1024 * 1024);
    // Read and validated (the schema caps an article body below 1 MiB): a 400, not a 413.
    expect((await t.request(writer, { method: 'POST', url: articles, payload: exact, headers: { 'content-type': 'application/json' } })).statusCode).toBe(400);
  });

  it.each([
    ['text/plain', 'hello'],
    ['application/x-www-form-urlencoded', 'title=a&body=b'],
    ['application/xml', '<a/>'],
    ['', '{"title":"a","body":"b"}'],
  ])('415 unsupported_media_type for a %j body', async (type, payload) => {
    expectProblem(await t.request(writer, { method: 'POST', url: articles, payload, headers: { 'content-type': type } }), 415, 'unsupported_media_type');
  });

  it('a JSON Content-Type with no body on a DELETE is no body, not an error', async () => {
    const res = await t.request(writer, { method: 'DELETE', url: `${articles}/art_unknown`, headers: { 'content-type': 'application/json' } });
    expectProblem(res, 404, 'not_found');
  });

  describe('404 not_found', () => {
    it.each(['art_01kdwpvng0w5ef3h8am7j159yv', 'does-not-exist', 'key_01kdwpvng0w5ef3h8am7j159yv'])('an unknown article id %j', async (id) => {
      for (const method of ['GET', 'DELETE'] as const) expectProblem(await t.request(writer, { method, url: `${articles}/${id}` }), 404, 'not_found');
      expectProblem(await t.request(writer, { method: 'PATCH', url: `${articles}/${id}`, payload: { title: 'x' } }), 404, 'not_found');
    });

    it('an unknown slug', async () => {
      expectProblem(await t.request(writer, { method: 'GET', url: `${articles}/by-slug/no-such-slug` }), 404, 'not_found');
    });

    it('unknown routes inside /v1 (after checks 1-4), including a wrong method, and outside /v1', async () => {
      for (const url of ['/v1/nope', '/v1', '/v1/', '/v1/knowledge', '/v1/knowledge/articles/x/y']) {
        expectProblem(await t.request(null, { method: 'GET', url }), 401, 'missing_api_key');
        expectProblem(await t.request(writer, { method: 'GET', url }), 404, 'not_found');
      }
      expectProblem(await t.request(writer, { method: 'PUT', url: articles, payload: {} }), 404, 'not_found');
      expectProblem(await t.request(writer, { method: 'DELETE', url: '/v1/me' }), 404, 'not_found');
      // A revoked key learns nothing about which routes exist.
      const revoked = await t.key();
      await t.runtime.keys.revoke(revoked.id, OPERATOR);
      expectProblem(await t.request(revoked.key, { method: 'GET', url: '/v1/nope' }), 401, 'api_key_revoked');
      for (const url of ['/nope', '/v2/me', '/v1me']) expectProblem(await t.request(null, { method: 'GET', url }), 404, 'not_found');
    });
  });

  describe('WWW-Authenticate (RFC 6750)', () => {
    const realm = 'Bearer realm="atender"';
    const invalid = 'Bearer realm="atender", error="invalid_token"';

    it('401 without a key: the bare challenge; 401 with one: invalid_token', async () => {
      expect((await t.request(null, { method: 'GET', url: '/v1/me' })).headers['www-authenticate']).toBe(realm);
      const disabled = await t.key();
      await t.runtime.keys.update(disabled.id, { active: false }, OPERATOR);
      const expired = await t.key({ expiresAt: Date.now() + 50 });
      await new Promise((r) => setTimeout(r, 60));
      for (const [token, code] of [
        ['sa_test_nope', 'malformed_api_key'],
        [generateKey('sandbox'), 'invalid_api_key'],
        [disabled.key, 'api_key_disabled'],
        [expired.key, 'api_key_expired'],
      ] as const) {
        const res = await t.request(token, { method: 'GET', url: '/v1/me' });
        expectProblem(res, 401, code);
        expect(res.headers['www-authenticate']).toBe(invalid);
      }
    });

    it('403 insufficient_scope names the needed scopes; other refusals carry no challenge', async () => {
      const reader = await t.key({ scopes: ['knowledge:read'] });
      const res = await t.request(reader.key, { method: 'DELETE', url: `${articles}/art_x` });
      const body = expectProblem(res, 403, 'insufficient_scope');
      expect(body.required_scopes).toEqual(['knowledge:write']);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="atender", error="insufficient_scope", scope="knowledge:write"');

      const fenced = await t.key({ allowedIps: ['10.0.0.0/8'] });
      const ip = await t.request(fenced.key, { method: 'GET', url: '/v1/me', remoteAddress: '192.0.2.1' });
      expectProblem(ip, 403, 'ip_not_allowed');
      expect(ip.headers['www-authenticate']).toBeUndefined();
      const notFound = await t.request(writer, { method: 'GET', url: `${articles}/art_x` });
      expect(notFound.headers['www-authenticate']).toBeUndefined();
    });
  });

  it('every response carries a distinct Request-Id', async () => {
    const responses = await Promise.all([
      t.request(writer, { method: 'GET', url: '/v1/me' }),
      t.request(null, { method: 'GET', url: '/v1/me' }),
      t.request(writer, { method: 'GET', url: '/v1/nope' }),
      t.request(writer, { method: 'POST', url: articles, payload: 'x', headers: { 'content-type': 'text/plain' } }),
      t.request(null, { method: 'GET', url: '/healthz' }),
      t.request(null, { method: 'GET', url: '/openapi.json' }),
      t.request(null, { method: 'GET', url: '/docs' }),
      t.request(null, { method: 'GET', url: '/problems/not_found' }),
      t.request(null, { method: 'GET', url: '/nowhere' }),
      t.request(null, { method: 'GET', url: '/%E0%A4%A' }),
    ]);
    const ids = responses.map((r) => r.headers['request-id']);
    for (const id of ids) expect(id).toMatch(/^req_[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('500 internal_error', () => {
  let runtime: ServingRuntime;
  let app: FastifyInstance;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await sqliteDatabase.create();
    drop = db.drop;
    runtime = await openServingRuntime({ ...loadConfig({}), databaseUrl: db.url, logLevel: 'silent' });
    app = await buildApp(runtime, { logger: false });
    app.get('/explode', async () => {
      throw new Error('db password hunter2 at /srv/secret/config.ts:12 sa_live_leakedleakedleakedleakedleakedleakedleak00');
    });
    app.get('/explode-sync', () => {
      throw new TypeError('Cannot read properties of undefined (reading "secret")');
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await runtime.close();
    await drop();
  });

  it.each(['/explode', '/explode-sync'])('%s answers a bare problem without the message, stack or secrets', async (url) => {
    const res = await app.inject({ method: 'GET', url });
    const body = expectProblem(res, 500, 'internal_error');
    expect(Object.keys(body).sort()).toEqual(['code', 'detail', 'request_id', 'status', 'title', 'type']);
    expect(res.body).not.toMatch(/hunter2|secret|sa_live_|\.ts:|at |Error/);
  });
});
