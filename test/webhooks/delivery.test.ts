import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DISABLE_AFTER_FAILING_MS } from '../../src/core/webhooks.js';
import { verifyWebhook } from '../../src/sdk/webhooks.js';
import { OPERATOR, listAudit } from '../../src/store/audit-repo.js';
import { ManualClock, type TestApp, startTestApp } from '../helpers/app.js';
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.js';

describe('webhook delivery to a real receiver', () => {
  let t: TestApp;
  let writer: string;
  const clock = new ManualClock(Date.now());
  const receivers: Receiver[] = [];
  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };
  const endpoint = (url: string, events: string[] = ['article.published', 'article.updated', 'article.deleted'], environment: 'sandbox' | 'production' = 'sandbox') =>
    t.runtime.webhooks.create({ orgId: t.org.org.id, environment, url, events }, OPERATOR);
  const publish = async (title: string, key = writer) => {
    const res = await t.request(key, { method: 'POST', url: '/v1/knowledge/articles', payload: { title, body: 'text', status: 'published' } });
    expect(res.statusCode).toBe(201);
    return res.json() as { id: string; slug: string };
  };
  const deliveries = (endpointId: string) => t.runtime.webhooks.deliveries(endpointId, 100);
  /** The webhook counters of /metrics, as an operator's Prometheus scrapes them. */
  const webhookMetrics = async () => {
    const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
    return {
      delivered: value(/^atender_webhook_attempts_total\{outcome="delivered"\} (\d+)$/m),
      retry: value(/^atender_webhook_attempts_total\{outcome="retry"\} (\d+)$/m),
      failed: value(/^atender_webhook_attempts_total\{outcome="failed"\} (\d+)$/m),
      disabled: value(/^atender_webhook_endpoints_disabled_total (\d+)$/m),
    };
  };
  const metricsSince = async (before: Awaited<ReturnType<typeof webhookMetrics>>) => {
    const now = await webhookMetrics();
    return { delivered: now.delivered - before.delivered, retry: now.retry - before.retry, failed: now.failed - before.failed, disabled: now.disabled - before.disabled };
  };

  beforeAll(async () => {
    t = await startTestApp({ clock, config: { webhooksAllowPrivate: true } });
  });
  // standardwebhooks checks webhook-timestamp against the real time, so each test starts there.
  // A fresh key each time, as the rate limiter's buckets do not expect time to go back.
  beforeEach(async () => {
    clock.set(Date.now());
    writer = (await t.key({ scopes: ['knowledge:read', 'knowledge:write'] })).key;
  });
  afterEach(async () => {
    // Every test's endpoints go away, so later events are not sent to them.
    for (const e of await t.runtime.webhooks.list(t.org.org.id)) await t.runtime.webhooks.remove(e.id, OPERATOR);
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });
  afterAll(() => t.close());

  it('signs per Standard Webhooks: the standardwebhooks package verifies the delivery unchanged', async () => {
    const r = await receiver();
    const ep = await endpoint(r.url);
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(ep.secret.slice(6), 'base64')).toHaveLength(32);
    const article = await publish('Signed article');
    expect(await t.runtime.dispatcher.runDue()).toBe(1);
    expect(r.received).toHaveLength(1);
    const got = r.received[0]!;
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['webhook-id']).toMatch(/^evt_/);
    expect(got.headers['webhook-timestamp']).toBe(String(Math.floor(clock.now() / 1000)));
    expect(got.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const payload = new Webhook(ep.secret).verify(got.body, r.headersOf(got)) as { type: string; timestamp: string; data: { id: string; status: string } };
    expect(Object.keys(payload)).toEqual(['type', 'timestamp', 'data']);
    expect(payload).toMatchObject({ type: 'article.published', data: { id: article.id, status: 'published' } });
    // Our own SDK's verifier agrees with the reference package.
    expect(verifyWebhook({ secret: ep.secret, payload: got.body, headers: r.headersOf(got) })).toMatchObject({ type: 'article.published', data: { id: article.id } });
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(got.body, r.headersOf(got))).toThrow();
    expect(() => new Webhook(ep.secret).verify(got.body.replace('Signed', 'Forged'), r.headersOf(got))).toThrow();
    const [delivery] = await deliveries(ep.id);
    expect(delivery).toMatchObject({ status: 'delivered', attempt_count: 1, event_id: got.headers['webhook-id'], attempts: [{ attempt: 1, status_code: 204 }] });
  });

  it('retries a 500 within 10 s with the same webhook-id, then records the success', async () => {
    const r = await receiver([{ status: 500, body: 'database down' }, { status: 200, body: 'ok' }]);
    const ep = await endpoint(r.url);
    await publish('Retried article');
    await t.runtime.dispatcher.runDue();
    let [delivery] = await deliveries(ep.id);
    expect(delivery).toMatchObject({ status: 'pending', attempt_count: 1, last_status: 500 });
    const wait = Date.parse(delivery!.next_attempt_at!) - clock.now();
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(10_000);
    expect(await t.runtime.dispatcher.runDue()).toBe(0); // not due yet
    clock.advance(wait);
    expect(await t.runtime.dispatcher.runDue()).toBe(1);
    expect(r.received.map((x) => x.headers['webhook-id'])).toEqual([r.received[0]!.headers['webhook-id'], r.received[0]!.headers['webhook-id']]);
    [delivery] = await deliveries(ep.id);
    expect(delivery).toMatchObject({ status: 'delivered', attempt_count: 2 });
    expect(delivery!.attempts.map((a) => [a.status_code, a.response_body])).toEqual([
      [500, 'database down'],
      [200, 'ok'],
    ]);
    expect(delivery!.attempts.every((a) => a.latency_ms >= 0)).toBe(true);
  });

  it('gives up after the schedule is spent; a manual retry sends it once more', async () => {
    const r = await receiver([{ status: 503 }]);
    const ep = await endpoint(r.url);
    const before = await webhookMetrics();
    await publish('Failing article');
    for (let i = 0; i < 8; i++) {
      await t.runtime.dispatcher.runDue();
      clock.advance(13 * 3_600_000); // more than the longest delay with jitter
    }
    let [delivery] = await deliveries(ep.id);
    expect(delivery).toMatchObject({ status: 'failed', attempt_count: 8, last_status: 503 });
    expect(await metricsSince(before)).toEqual({ delivered: 0, retry: 7, failed: 1, disabled: 0 });
    expect(r.received).toHaveLength(8);
    expect(await t.runtime.dispatcher.runDue()).toBe(0);
    r.answers = [{ status: 200 }];
    await t.runtime.webhooks.update(ep.id, { enabled: true }, OPERATOR); // still enabled; clears failing_since
    const retried = await t.runtime.webhooks.retry(ep.id, delivery!.id, OPERATOR);
    expect(retried.status).toBe('pending');
    expect(await t.runtime.dispatcher.runDue()).toBe(1);
    [delivery] = await deliveries(ep.id);
    expect(delivery).toMatchObject({ status: 'delivered', attempt_count: 9 });
    expect(await metricsSince(before)).toEqual({ delivered: 1, retry: 7, failed: 1, disabled: 0 });
  });

  it('a 410 disables the endpoint, tells the admins in the audit log, and stops deliveries', async () => {
    const r = await receiver([{ status: 410 }]);
    const ep = await endpoint(r.url);
    const before = await webhookMetrics();
    await publish('Gone 1');
    await t.runtime.dispatcher.runDue();
    expect(await t.runtime.webhooks.require(ep.id)).toMatchObject({ enabled: false, disabled_reason: 'gone' });
    expect(await metricsSince(before)).toEqual({ delivered: 0, retry: 0, failed: 1, disabled: 1 });
    const [delivery] = await deliveries(ep.id);
    expect(delivery).toMatchObject({ status: 'failed', last_status: 410 });
    const audit = await listAudit(t.runtime.store.db, t.org.org.id);
    expect(audit.find((a) => a.action === 'webhook_endpoint.disabled')).toMatchObject({ actor: { type: 'system' }, after: { endpoint_id: ep.id, reason: 'gone' } });
    await publish('Gone 2');
    expect(await t.runtime.dispatcher.runDue()).toBe(0);
    expect(r.received).toHaveLength(1);
  });

  it('an endpoint failing for 5 days is disabled, with an audit row', async () => {
    const r = await receiver([{ status: 500 }]);
    const ep = await endpoint(r.url);
    await publish('Day 0');
    await t.runtime.dispatcher.runDue();
    clock.advance(DISABLE_AFTER_FAILING_MS - 60_000);
    await publish('Day 5 minus a minute');
    await t.runtime.dispatcher.runDue();
    expect((await t.runtime.webhooks.require(ep.id)).enabled).toBe(true);
    clock.advance(120_000);
    await publish('Day 5');
    await t.runtime.dispatcher.runDue();
    expect(await t.runtime.webhooks.require(ep.id)).toMatchObject({ enabled: false, disabled_reason: 'failing' });
    const audit = await listAudit(t.runtime.store.db, t.org.org.id);
    expect(audit.find((a) => a.action === 'webhook_endpoint.disabled' && (a.after as { endpoint_id: string }).endpoint_id === ep.id)).toMatchObject({ actor: { type: 'system' }, after: { reason: 'failing' } });
  });

  it('sandbox events never reach production endpoints, and the other way round', async () => {
    const live = await receiver();
    const test = await receiver();
    await endpoint(live.url, ['article.published'], 'production');
    await endpoint(test.url, ['article.published'], 'sandbox');
    const liveKey = (await t.key({ environment: 'production', scopes: ['knowledge:write'] })).key;
    const sandboxArticle = await publish('Sandbox only');
    const liveArticle = await publish('Production only', liveKey);
    await t.runtime.dispatcher.runDue();
    expect(test.received.map((x) => JSON.parse(x.body).data.id)).toEqual([sandboxArticle.id]);
    expect(live.received.map((x) => JSON.parse(x.body).data.id)).toEqual([liveArticle.id]);
  });

  it('sends only subscribed types; drafts are quiet; update and delete of a published article are sent', async () => {
    const r = await receiver();
    await endpoint(r.url, ['article.updated', 'article.deleted']);
    const draft = await t.request(writer, { method: 'POST', url: '/v1/knowledge/articles', payload: { title: 'Draft', body: 'x' } });
    const article = await publish('Lifecycle');
    await t.request(writer, { method: 'PATCH', url: `/v1/knowledge/articles/${article.id}`, payload: { title: 'Lifecycle 2' } });
    await t.request(writer, { method: 'PATCH', url: `/v1/knowledge/articles/${draft.json().id}`, payload: { title: 'Draft 2' } });
    await t.request(writer, { method: 'DELETE', url: `/v1/knowledge/articles/${article.id}` });
    await t.runtime.dispatcher.runDue();
    const types = r.received.map((x) => JSON.parse(x.body)).sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.type.localeCompare(b.type));
    expect(types.map((p) => [p.type, p.data.id, p.data.title ?? p.data.slug])).toEqual(
      expect.arrayContaining([
        ['article.updated', article.id, 'Lifecycle 2'],
        ['article.deleted', article.id, article.slug],
      ]),
    );
    expect(r.received).toHaveLength(2);
  });

  it('a change that fails writes no event (the outbox rolls back with it)', async () => {
    const r = await receiver();
    await endpoint(r.url);
    const first = await publish('Unique');
    const clash = await t.request(writer, { method: 'POST', url: '/v1/knowledge/articles', payload: { title: 'Other', body: 'x', slug: first.slug, status: 'published' } });
    expect(clash.statusCode).toBe(409);
    await t.runtime.dispatcher.runDue();
    expect(r.received).toHaveLength(1);
  });

  it('api_key.rotated and api_key.revoked go to the key tenant, without any secret', async () => {
    const r = await receiver();
    const ep = await endpoint(r.url, ['api_key.rotated', 'api_key.revoked']);
    const key = await t.key({ name: 'to rotate' });
    const rotated = await t.runtime.keys.rotate(key.id, 3_600_000, OPERATOR);
    await t.runtime.keys.revoke(key.id, OPERATOR);
    await t.runtime.dispatcher.runDue();
    const bodies = r.received.map((x) => new Webhook(ep.secret).verify(x.body, r.headersOf(x)) as { type: string; data: Record<string, unknown> });
    expect(bodies.map((b) => b.type).sort()).toEqual(['api_key.revoked', 'api_key.rotated']);
    for (const b of bodies) expect(b.data).toMatchObject({ id: key.id, name: 'to rotate', environment: 'sandbox' });
    const raw = r.received.map((x) => x.body).join('\n');
    for (const secret of [key.key, rotated.key, key.hint]) expect(raw).not.toContain(secret);
    expect(raw).not.toMatch(/sa_(test|live)_/);
  });

  it('during a secret rotation overlap both secrets sign; afterwards only the new one', async () => {
    const r = await receiver();
    const ep = await endpoint(r.url);
    const rotated = await t.runtime.webhooks.rotateSecret(ep.id, 3_600_000, OPERATOR);
    expect(rotated.secret).not.toBe(ep.secret);
    await publish('Overlap');
    await t.runtime.dispatcher.runDue();
    const during = r.received[0]!;
    expect((during.headers['webhook-signature'] as string).split(' ')).toHaveLength(2);
    for (const secret of [ep.secret, rotated.secret]) expect(() => new Webhook(secret).verify(during.body, r.headersOf(during))).not.toThrow();
    clock.advance(3_600_001);
    await publish('After overlap');
    await t.runtime.dispatcher.runDue();
    const after = r.received[1]!;
    expect((after.headers['webhook-signature'] as string).split(' ')).toHaveLength(1);
  });

  it('replays a time range as new deliveries', async () => {
    const r = await receiver();
    const ep = await endpoint(r.url, ['article.published']);
    clock.advance(3 * 3_600_000); // away from earlier tests' events (the latest is 1 h ahead)
    const from = clock.now();
    await publish('Replay 1');
    await publish('Replay 2');
    await t.runtime.dispatcher.runDue();
    expect(r.received).toHaveLength(2);
    const result = await t.runtime.webhooks.replay(ep.id, { since: from, until: clock.now() + 1 }, OPERATOR);
    expect(result).toEqual({ replayed: 2 });
    await t.runtime.dispatcher.runDue();
    expect(r.received).toHaveLength(4);
    expect(new Set(r.received.map((x) => x.headers['webhook-id'])).size).toBe(2);
    expect(await t.runtime.webhooks.replay(ep.id, { since: from - 3_600_000, until: from }, OPERATOR)).toEqual({ replayed: 0 });
  });

  it('follows no redirect, and keeps only the start of a long answer', async () => {
    const r = await receiver([{ status: 302, headers: { location: '/elsewhere' } }, { status: 200, body: 'x'.repeat(200_000) }]);
    const ep = await endpoint(r.url);
    await publish('Redirected');
    await t.runtime.dispatcher.runDue();
    expect(r.received.map((x) => x.path)).toEqual(['/hook']);
    clock.advance(10_000);
    await t.runtime.dispatcher.runDue();
    const [delivery] = await deliveries(ep.id);
    expect(delivery!.attempts.map((a) => a.status_code)).toEqual([302, 200]);
    expect(delivery!.attempts[1]!.response_body).toHaveLength(1024);
    expect(delivery!.attempts[1]!.response_truncated).toBe(true);
  });
});
