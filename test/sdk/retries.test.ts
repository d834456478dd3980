import { afterEach, describe, expect, it } from 'vitest';
import { generateKey } from '../../src/core/keys.js';
import { Atender, type AtenderOptions, ConnectionError, InvalidRequestError, NotFoundError, PermissionError, RateLimitError, ServerError } from '../../src/sdk/index.js';
import { type FaultServer, type Script, problem, startFaultServer } from '../helpers/fault-server.js';

const article = { id: 'art_01', slug: 'a', title: 'A', body: '', collection: null, status: 'draft', created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' };

let server: FaultServer;
let slept: number[];

async function clientFor(script: Script, options: AtenderOptions = {}): Promise<Atender> {
  server = await startFaultServer(script);
  slept = [];
  return new Atender({
    apiKey: generateKey('sandbox'),
    baseUrl: server.url,
    // No real waiting: record what the client would have waited.
    sleep: async (ms) => void slept.push(ms),
    random: () => 0,
    ...options,
  });
}

afterEach(async () => server?.close());

describe('retries', () => {
  it('retries a 5xx GET with growing backoff and returns the answer that finally came', async () => {
    const client = await clientFor((_, i) => (i < 2 ? { status: 503, body: problem(503, 'service_unavailable') } : { status: 200, body: article }));
    expect(await client.knowledge.articles.get('art_01')).toEqual(article);
    expect(server.requests).toHaveLength(3);
    expect(slept).toEqual([250, 500]); // initial 500 ms, doubling, jitter 0 → half the ceiling
  });

  it('waits the Retry-After of a 429, then succeeds', async () => {
    const client = await clientFor((_, i) => (i === 0 ? { status: 429, body: problem(429, 'rate_limited', { violated_policies: ['minute'] }), headers: { 'retry-after': '3' } } : { status: 200, body: article }));
    await client.knowledge.articles.get('art_01');
    expect(server.requests).toHaveLength(2);
    expect(slept[0]).toBeGreaterThanOrEqual(3000);
    expect(slept[0]).toBeLessThan(3500);
  });

  it('accepts Retry-After as an HTTP date', async () => {
    const now = Date.UTC(2026, 0, 1);
    const client = await clientFor((_, i) => (i === 0 ? { status: 503, body: problem(503, 'service_unavailable'), headers: { 'retry-after': new Date(now + 5000).toUTCString() } } : { status: 200, body: article }), { now: () => now });
    await client.knowledge.articles.get('art_01');
    expect(slept[0]).toBeGreaterThanOrEqual(5000);
  });

  it('gives up after maxRetries and throws the last error with its request id', async () => {
    const client = await clientFor(() => ({ status: 500, body: problem(500, 'internal_error') }), { maxRetries: 2 });
    const error = await client.knowledge.articles.get('art_01').catch((e) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ status: 500, code: 'internal_error', requestId: 'req_problem' });
    expect(server.requests).toHaveLength(3);
  });

  it('does not wait past maxRetryWaitMs: a day-quota Retry-After fails at once', async () => {
    const client = await clientFor(() => ({ status: 429, body: problem(429, 'daily_quota_exceeded', { violated_policies: ['day'] }), headers: { 'retry-after': '7200' } }));
    const error = await client.knowledge.articles.get('art_01').catch((e) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ code: 'daily_quota_exceeded', retryAfter: 7200, violatedPolicies: ['day'] });
    expect(server.requests).toHaveLength(1);
    expect(slept).toEqual([]);
  });

  it('retries network failures of a GET', async () => {
    const client = await clientFor((_, i) => (i === 0 ? 'hang-up' : { status: 200, body: article }));
    expect(await client.knowledge.articles.get('art_01')).toEqual(article);
    expect(server.requests).toHaveLength(2);
  });

  it('throws ConnectionError when the server never answers', async () => {
    const client = await clientFor(() => 'hang-up', { maxRetries: 1 });
    const error = await client.me().catch((e) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ status: 0, code: 'connection_error' });
  });

  it('does not retry 4xx answers other than 429', async () => {
    const client = await clientFor(() => ({ status: 404, body: problem(404, 'not_found') }));
    await expect(client.knowledge.articles.get('art_01')).rejects.toBeInstanceOf(NotFoundError);
    expect(server.requests).toHaveLength(1);
  });
});

describe('idempotency keys', () => {
  it('sends one Idempotency-Key per create and reuses it on every retry', async () => {
    const client = await clientFor((_, i) => (i === 0 ? { status: 502, body: problem(502, 'bad_gateway') } : i === 1 ? 'hang-up' : { status: 201, body: article }));
    await client.knowledge.articles.create({ title: 'A', body: '' });
    const keys = server.requests.map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(3);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);

    await client.knowledge.articles.create({ title: 'B', body: '' });
    expect(server.requests[3]!.headers['idempotency-key']).not.toBe(keys[0]);
  });

  it('uses the caller’s key when given', async () => {
    const client = await clientFor(() => ({ status: 201, body: article }));
    await client.knowledge.articles.create({ title: 'A', body: '' }, { idempotencyKey: 'import-42' });
    expect(server.requests[0]!.headers['idempotency-key']).toBe('import-42');
  });

  it('does not repeat a POST without an Idempotency-Key after a 5xx or a lost connection', async () => {
    const client = await clientFor(() => ({ status: 500, body: problem(500, 'internal_error') }));
    await expect(client.request('POST', '/v1/conversations', { body: {}, idempotencyKey: false })).rejects.toBeInstanceOf(ServerError);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.headers['idempotency-key']).toBeUndefined();
  });

  it('sends no Idempotency-Key on GET, PUT, PATCH or DELETE', async () => {
    const client = await clientFor((req) => ({ status: req.method === 'DELETE' ? 204 : 200, body: req.method === 'DELETE' ? undefined : article }));
    await client.knowledge.articles.get('art_01');
    await client.knowledge.articles.update('art_01', { title: 'x' });
    await client.knowledge.articles.upsertBySlug('a', { title: 'A', body: '' });
    await client.knowledge.articles.delete('art_01');
    expect(server.requests.map((r) => [r.method, r.headers['idempotency-key']])).toEqual([['GET', undefined], ['PATCH', undefined], ['PUT', undefined], ['DELETE', undefined]]);
  });
});

describe('errors', () => {
  it('maps a 403 insufficient_scope to PermissionError with the required scopes and the server’s message', async () => {
    const client = await clientFor(() => ({ status: 403, body: problem(403, 'insufficient_scope', { required_scopes: ['knowledge:write'] }) }));
    const error = await client.knowledge.articles.delete('art_01').catch((e) => e);
    expect(error).toBeInstanceOf(PermissionError);
    expect(error).toMatchObject({ code: 'insufficient_scope', status: 403, requiredScopes: ['knowledge:write'], requestId: 'req_problem', detail: 'detail of insufficient_scope', message: 'detail of insufficient_scope' });
  });

  it('maps a 400 to InvalidRequestError with its field errors', async () => {
    const client = await clientFor(() => ({ status: 400, body: problem(400, 'invalid_request', { errors: [{ path: 'body.title', message: 'is required' }] }) }));
    const error = await client.knowledge.articles.create({ title: '', body: '' }).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.errors).toEqual([{ path: 'body.title', message: 'is required' }]);
  });

  it('keeps a non-JSON error body as the detail and takes the request id from the header', async () => {
    server = await startFaultServer(() => ({ status: 502, body: 'upstream down', headers: { 'content-type': 'text/plain' } }));
    const client = new Atender({ apiKey: generateKey('sandbox'), baseUrl: server.url, maxRetries: 0 });
    const error = await client.me().catch((e) => e);
    expect(error).toMatchObject({ status: 502, code: 'http_502', detail: '"upstream down"', requestId: 'req_1' });
  });
});
