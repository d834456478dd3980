import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookService } from '../../src/services/webhooks.js';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { SecretBox } from '../../src/webhooks/secrets.js';
import { type Resolver, TargetGuard, TargetRefused } from '../../src/webhooks/target-guard.js';
import { OPERATOR } from '../../src/store/audit-repo.js';
import { type TestApp, startTestApp } from '../helpers/app.js';
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.js';

const fakeDns =
  (table: Record<string, string[]>): Resolver =>
  async (host) => {
    const addresses = table[host];
    if (!addresses) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('SSRF guard', () => {
  const guard = new TargetGuard(false, fakeDns({ 'hooks.example.com': ['93.184.216.34'], 'mixed.example.com': ['93.184.216.34', '10.0.0.7'], 'inside.example.com': ['192.168.0.10'], '127.0.0.1': ['127.0.0.1'], '::1': ['::1'], '169.254.169.254': ['169.254.169.254'] }));

  it.each([
    ['ftp://hooks.example.com/x', /only http and https/],
    ['file:///etc/passwd', /only http and https/],
    ['javascript:alert(1)', /only http and https/],
    ['https://user:pw@hooks.example.com/', /credentials/],
    ['not a url', /not a valid URL/],
    [`https://hooks.example.com/${'a'.repeat(2100)}`, /longer than/],
    ['http://127.0.0.1:8080/hook', /non-public address \(127\.0\.0\.1\)/],
    ['http://[::1]/hook', /non-public address \(::1\)/],
    ['http://169.254.169.254/latest/meta-data', /non-public/],
    ['https://inside.example.com/hook', /non-public address \(192\.168\.0\.10\)/],
    ['https://mixed.example.com/hook', /non-public address \(10\.0\.0\.7\)/],
    ['https://nowhere.example.com/hook', /does not resolve/],
  ])('refuses %s', async (url, reason) => {
    await expect(guard.check(url)).rejects.toThrow(TargetRefused);
    await expect(guard.check(url)).rejects.toThrow(reason);
  });

  it('accepts a public https URL and returns the address to connect to', async () => {
    await expect(guard.check('https://hooks.example.com/in?x=1')).resolves.toMatchObject({ address: '93.184.216.34', family: 4 });
  });

  it('with ATENDER_WEBHOOKS_ALLOW_PRIVATE the address check is off, the scheme check is not', async () => {
    const open = new TargetGuard(true, fakeDns({ '127.0.0.1': ['127.0.0.1'] }));
    await expect(open.check('http://127.0.0.1:9/x')).resolves.toMatchObject({ address: '127.0.0.1' });
    await expect(open.check('gopher://127.0.0.1/')).rejects.toThrow(/only http/);
  });
});

describe('SSRF at creation and at delivery time', () => {
  let t: TestApp;
  let r: Receiver;
  beforeAll(async () => {
    t = await startTestApp({ config: { webhooksAllowPrivate: false } });
    r = await startReceiver();
  });
  afterAll(async () => {
    await r.close();
    await t.close();
  });

  it('refuses a loopback URL at creation, writing nothing', async () => {
    await expect(t.runtime.webhooks.create({ orgId: t.org.org.id, environment: 'sandbox', url: r.url, events: ['article.published'] }, OPERATOR)).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/non-public/) });
    expect(await t.runtime.webhooks.list(t.org.org.id)).toEqual([]);
  });

  it('re-checks at delivery time: a name that now resolves to a private address is not called', async () => {
    // Saved while it resolved publicly; by delivery time its DNS answer is loopback (rebinding).
    const publicThenPrivate = fakeDns({ 'rebind.example.com': ['127.0.0.1'] });
    const dispatcher = new WebhookDispatcher(t.runtime.store, t.clock, t.runtime.config.webhooks, new TargetGuard(false, publicThenPrivate), new SecretBox(null));
    const creator = new WebhookService(t.runtime.store, t.clock, new TargetGuard(false, fakeDns({ 'rebind.example.com': ['93.184.216.34'] })), new SecretBox(null));
    const ep = await creator.create({ orgId: t.org.org.id, environment: 'sandbox', url: `http://rebind.example.com:${r.port}/hook`, events: ['api_key.revoked'] }, OPERATOR);
    const key = await t.key();
    await t.runtime.keys.revoke(key.id, OPERATOR);
    expect(await dispatcher.runDue()).toBe(1);
    expect(r.received).toHaveLength(0);
    const [delivery] = await t.runtime.webhooks.deliveries(ep.id, 10);
    expect(delivery).toMatchObject({ status: 'pending', attempts: [{ status_code: null, error: expect.stringMatching(/^refused: .*non-public address \(127\.0\.0\.1\)/) }] });
  });

  it('connects to the address that was checked, never resolving the name again', async () => {
    // `pinned.invalid` cannot resolve in real DNS; the request still arrives, so the socket used the checked address.
    const pinned = new TargetGuard(true, fakeDns({ 'pinned.invalid': ['127.0.0.1'] }));
    const service = new WebhookService(t.runtime.store, t.clock, pinned, new SecretBox(null));
    const dispatcher = new WebhookDispatcher(t.runtime.store, t.clock, t.runtime.config.webhooks, pinned, new SecretBox(null));
    await service.create({ orgId: t.org.org.id, environment: 'sandbox', url: `http://pinned.invalid:${r.port}/hook`, events: ['api_key.rotated'] }, OPERATOR);
    const key = await t.key();
    await t.runtime.keys.rotate(key.id, 0, OPERATOR);
    await dispatcher.runDue();
    expect(r.received).toHaveLength(1);
    expect(r.received[0]!.headers.host).toBe(`pinned.invalid:${r.port}`);
  });
});
