import Fastify, { type FastifyInstance } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerErrorHandling } from '../../src/http/errors.js';
import type { AdminPrincipal } from '../../src/manage/admin-principal.js';
import { webhookEndpointRoutes } from '../../src/manage/webhook-endpoints.js';
import { listAudit } from '../../src/store/audit-repo.js';
import { signIn } from '../helpers/admin.js';
import { type TestApp, startTestApp } from '../helpers/app.js';
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.js';

/** The plugin on its own app, under /manage/v1, behind a hook standing in for the session plugin. */
async function manageApp(t: TestApp, principal: () => AdminPrincipal | null): Promise<FastifyInstance> {
  const app = Fastify({ ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: true } } });
  registerErrorHandling(app);
  app.decorateRequest('admin', null);
  app.decorateRequest('clientIp', '');
  app.addHook('onRequest', async (request) => {
    request.admin = principal();
    request.clientIp = '203.0.113.9';
  });
  await app.register(webhookEndpointRoutes(t.runtime.webhooks), { prefix: '/manage/v1' });
  await app.ready();
  return app;
}

describe('/manage/v1/webhook-endpoints', () => {
  let t: TestApp;
  let app: FastifyInstance;
  let r: Receiver;
  let other: { org: { id: string } };
  let signedIn: AdminPrincipal | null;
  const as = (orgId: string): AdminPrincipal => ({ adminId: 'adm_test', orgId, email: 'a@example.com' });

  beforeAll(async () => {
    t = await startTestApp({ config: { webhooksAllowPrivate: true } });
    r = await startReceiver();
    other = await t.runtime.orgs.create('Other org');
    signedIn = as(t.org.org.id);
    app = await manageApp(t, () => signedIn);
  });
  afterAll(async () => {
    await app.close();
    await r.close();
    await t.close();
  });

  const create = (payload: object) => app.inject({ method: 'POST', url: '/manage/v1/webhook-endpoints', payload });

  it('creates an endpoint: 201 with the secret once; reads never show it', async () => {
    const res = await create({ url: r.url, environment: 'sandbox', events: ['article.published', 'api_key.revoked'] });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({ url: r.url, environment: 'sandbox', events: ['api_key.revoked', 'article.published'], enabled: true, secret: expect.stringMatching(/^whsec_/) });
    const list = await app.inject({ method: 'GET', url: '/manage/v1/webhook-endpoints?environment=sandbox' });
    expect(list.json().data.map((e: { id: string }) => e.id)).toContain(created.id);
    const one = await app.inject({ method: 'GET', url: `/manage/v1/webhook-endpoints/${created.id}` });
    expect(one.statusCode).toBe(200);
    expect(list.body + one.body).not.toContain(created.secret);
    expect(list.body + one.body).not.toContain('secret_sealed');
    const audit = await listAudit(t.runtime.store.db, t.org.org.id);
    expect(audit.find((a) => a.action === 'webhook_endpoint.created')).toMatchObject({ actor: { type: 'admin', id: 'adm_test' }, source_ip: '203.0.113.9' });
    expect(JSON.stringify(audit)).not.toContain(created.secret);
  });

  it.each([
    [{ url: 'ftp://x.example.com/', environment: 'sandbox', events: ['article.published'] }, 'body.url'],
    [{ url: 'https://x.example.com/', environment: 'staging', events: ['article.published'] }, 'body.environment'],
    [{ url: 'https://x.example.com/', environment: 'sandbox', events: ['article.created'] }, 'body.events'],
    [{ url: 'https://x.example.com/', environment: 'sandbox', events: [] }, 'body.events'],
    [{ url: 'https://x.example.com/', environment: 'sandbox', events: ['article.published'], secret: 'mine' }, 'body.secret'],
    [{ environment: 'sandbox', events: ['article.published'] }, 'body.url'],
  ])('refuses %j with 400 naming %s', async (payload, path) => {
    const res = await create(payload);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    // Schema errors name `body.<field>[.index]`; the service's own checks (URL safety) name the field.
    expect(res.json().errors.some((e: { path: string }) => `body.${e.path}`.startsWith(path) || e.path.startsWith(path))).toBe(true);
  });

  it('changes events and enabled with PATCH, and deletes with DELETE', async () => {
    const { id } = (await create({ url: r.url, environment: 'production', events: ['article.published'] })).json();
    const patched = await app.inject({ method: 'PATCH', url: `/manage/v1/webhook-endpoints/${id}`, payload: { events: ['article.deleted'], enabled: false } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ events: ['article.deleted'], enabled: false, disabled_reason: 'admin' });
    expect((await app.inject({ method: 'PATCH', url: `/manage/v1/webhook-endpoints/${id}`, payload: {} })).statusCode).toBe(400);
    expect((await app.inject({ method: 'DELETE', url: `/manage/v1/webhook-endpoints/${id}` })).statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: `/manage/v1/webhook-endpoints/${id}` })).statusCode).toBe(404);
  });

  it("another org's endpoint is 404 for every verb", async () => {
    const theirs = await t.runtime.webhooks.create({ orgId: other.org.id, environment: 'sandbox', url: r.url, events: ['article.published'] }, { type: 'operator', id: 't', ip: null });
    for (const [method, url, payload] of [
      ['GET', `/manage/v1/webhook-endpoints/${theirs.id}`],
      ['PATCH', `/manage/v1/webhook-endpoints/${theirs.id}`, { enabled: false }],
      ['DELETE', `/manage/v1/webhook-endpoints/${theirs.id}`],
      ['GET', `/manage/v1/webhook-endpoints/${theirs.id}/deliveries`],
      ['POST', `/manage/v1/webhook-endpoints/${theirs.id}/rotate-secret`, {}],
    ] as const) {
      const res = await app.inject({ method, url, ...(payload ? { payload } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    expect((await t.runtime.webhooks.require(theirs.id)).enabled).toBe(true);
  });

  it('shows deliveries with their attempts, retries one, and rotates the secret', async () => {
    const created = (await create({ url: r.url, environment: 'sandbox', events: ['api_key.revoked'] })).json();
    const key = await t.key();
    await t.runtime.keys.revoke(key.id, { type: 'operator', id: 't', ip: null });
    await t.runtime.dispatcher.runDue();
    const page = await app.inject({ method: 'GET', url: `/manage/v1/webhook-endpoints/${created.id}/deliveries?limit=10` });
    expect(page.statusCode).toBe(200);
    const [delivery] = page.json().data;
    expect(delivery).toMatchObject({ event_type: 'api_key.revoked', status: 'delivered', attempts: [{ attempt: 1, status_code: 204, response_truncated: false }] });
    expect(typeof delivery.attempts[0].latency_ms).toBe('number');
    const retried = await app.inject({ method: 'POST', url: `/manage/v1/webhook-endpoints/${created.id}/deliveries/${delivery.id}/retry` });
    expect(retried.statusCode).toBe(202);
    expect(retried.json()).toMatchObject({ id: delivery.id, status: 'pending' });
    const missing = await app.inject({ method: 'POST', url: `/manage/v1/webhook-endpoints/${created.id}/deliveries/dlv_nope/retry` });
    expect(missing.statusCode).toBe(404);
    const rotated = await app.inject({ method: 'POST', url: `/manage/v1/webhook-endpoints/${created.id}/rotate-secret`, payload: { overlap_seconds: 600 } });
    expect(rotated.statusCode).toBe(201);
    expect(rotated.json().secret).not.toBe(created.secret);
    expect(rotated.json().previous_secret_expires_at).not.toBeNull();
    const before = r.received.length;
    await t.runtime.dispatcher.runDue();
    const got = r.received[before]!;
    for (const secret of [created.secret, rotated.json().secret]) new Webhook(secret).verify(got.body, r.headersOf(got));
    const replay = await app.inject({ method: 'POST', url: `/manage/v1/webhook-endpoints/${created.id}/replay`, payload: { since: new Date(Date.now() - 60_000).toISOString() } });
    expect(replay.statusCode).toBe(202);
    expect(replay.json()).toEqual({ replayed: 1 });
  });

  it('without a signed-in admin every route is 401 session_required', async () => {
    signedIn = null;
    try {
      const res = await app.inject({ method: 'GET', url: '/manage/v1/webhook-endpoints' });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('session_required');
      expect((await create({ url: r.url, environment: 'sandbox', events: ['article.published'] })).statusCode).toBe(401);
    } finally {
      signedIn = as(t.org.org.id);
    }
  });
});

describe('/manage/v1/webhook-endpoints in the real app, behind the session guard', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ config: { webhooksAllowPrivate: true } });
  });
  afterAll(() => t.close());

  it('needs a session and a same-origin mutation; then creates and lists', async () => {
    const payload = { url: 'http://127.0.0.1:9/hook', environment: 'production', events: ['contact.created'] };
    const anonymous = await t.app.inject({ method: 'GET', url: '/manage/v1/webhook-endpoints' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().code).toBe('session_required');
    const admin = await signIn(t);
    const crossSite = await admin.call({ method: 'POST', url: '/manage/v1/webhook-endpoints', payload, headers: { origin: 'https://evil.example' } });
    expect(crossSite.statusCode).toBe(403);
    expect(crossSite.json().code).toBe('csrf_rejected');
    const created = await admin.call({ method: 'POST', url: '/manage/v1/webhook-endpoints', payload });
    expect(created.statusCode).toBe(201);
    expect(created.json().secret).toMatch(/^whsec_/);
    const list = await admin.call({ method: 'GET', url: '/manage/v1/webhook-endpoints' });
    expect(list.json().data.map((e: { id: string }) => e.id)).toEqual([created.json().id]);
    const docs = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(Object.keys(docs.json().paths)).toEqual(expect.arrayContaining(['/manage/v1/webhook-endpoints', '/manage/v1/webhook-endpoints/{id}/deliveries']));
  });
});
