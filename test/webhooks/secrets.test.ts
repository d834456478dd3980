import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { OPERATOR } from '../../src/store/audit-repo.js';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { SecretBox, generateSigningSecret } from '../../src/webhooks/secrets.js';
import { TargetGuard } from '../../src/webhooks/target-guard.js';
import { ManualClock } from '../helpers/app.js';
import { appWithReceiver } from '../helpers/webhook-receiver.js';

describe('signing secrets at rest', () => {
  const key = randomBytes(32).toString('base64');

  it('seals with AES-256-GCM when a key is configured; another key cannot open it', () => {
    const secret = generateSigningSecret();
    const sealed = new SecretBox(key).seal(secret);
    expect(sealed).toMatch(/^gcm:/);
    expect(sealed).not.toContain(secret.slice(6));
    expect(new SecretBox(key).open(sealed)).toBe(secret);
    expect(() => new SecretBox(randomBytes(32).toString('base64')).open(sealed)).toThrow();
    expect(() => new SecretBox(null).open(sealed)).toThrow(/ATENDER_WEBHOOK_SECRETS_KEY/);
    expect(new SecretBox(null).open(new SecretBox(null).seal(secret))).toBe(secret);
  });

  it('refuses a secrets key that is not 32 bytes, and a malformed retry schedule', () => {
    expect(() => loadConfig({ ATENDER_WEBHOOK_SECRETS_KEY: 'c2hvcnQ=' })).toThrow(ConfigError);
    expect(() => loadConfig({ ATENDER_WEBHOOK_RETRY_SCHEDULE: '5s,soon' })).toThrow(/ATENDER_WEBHOOK_RETRY_SCHEDULE/);
    expect(loadConfig({ ATENDER_WEBHOOK_RETRY_SCHEDULE: '1s,2m' }).webhooks.retryScheduleMs).toEqual([1000, 120_000]);
  });

  describe('with ATENDER_WEBHOOK_SECRETS_KEY set', () => {
    const ctx = appWithReceiver({ config: { webhooksAllowPrivate: true, webhooks: { ...loadConfig({}).webhooks, secretsKey: key } } });

    it('the database holds no readable secret, and deliveries still verify', async () => {
      const { t, r } = ctx;
      const ep = await t.runtime.webhooks.create({ orgId: t.org.org.id, environment: 'sandbox', url: r.url, events: ['api_key.revoked'] }, OPERATOR);
      const row = await t.runtime.store.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', ep.id).executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain(ep.secret.slice(6));
      await t.runtime.keys.revoke((await t.key()).id, OPERATOR);
      await t.runtime.dispatcher.runDue();
      expect(r.received).toHaveLength(1);
      new Webhook(ep.secret).verify(r.received[0]!.body, r.headersOf(r.received[0]!));
    });
  });
});

describe('attempt timeout', () => {
  const clock = new ManualClock(Date.now());
  const ctx = appWithReceiver({ clock, config: { webhooksAllowPrivate: true } }, ['hang']);

  it('gives up on a receiver that does not answer, and schedules a retry', async () => {
    const { t, r } = ctx;
    // Half the lease: 500 ms here, 15 s with the default 60 s lease.
    const dispatcher = new WebhookDispatcher(t.runtime.store, clock, { ...t.runtime.config.webhooks, leaseMs: 1_000 }, new TargetGuard(true), new SecretBox(null));
    expect(new WebhookDispatcher(t.runtime.store, clock, t.runtime.config.webhooks, new TargetGuard(true), new SecretBox(null)).attemptTimeoutMs).toBe(15_000);
    const ep = await t.runtime.webhooks.create({ orgId: t.org.org.id, environment: 'sandbox', url: r.url, events: ['api_key.revoked'] }, OPERATOR);
    await t.runtime.keys.revoke((await t.key()).id, OPERATOR);
    await dispatcher.runDue();
    const [delivery] = await t.runtime.webhooks.deliveries(ep.id, 10);
    expect(delivery).toMatchObject({ status: 'pending', attempts: [{ status_code: null, error: 'timed out after 500 ms' }] });
  });
});

describe('a secret that cannot be opened', () => {
  const ctx = appWithReceiver({ config: { webhooksAllowPrivate: true, webhooks: { ...loadConfig({}).webhooks, secretsKey: randomBytes(32).toString('base64') } } });

  it('is a recorded failed attempt (retried later), not an unsigned request', async () => {
    const { t, r } = ctx;
    const ep = await t.runtime.webhooks.create({ orgId: t.org.org.id, environment: 'sandbox', url: r.url, events: ['api_key.revoked'] }, OPERATOR);
    // The operator lost ATENDER_WEBHOOK_SECRETS_KEY: this node cannot open the sealed secret.
    const keyless = new WebhookDispatcher(t.runtime.store, t.clock, t.runtime.config.webhooks, new TargetGuard(true), new SecretBox(null));
    await t.runtime.keys.revoke((await t.key()).id, OPERATOR);
    expect(await keyless.runDue()).toBe(1);
    expect(r.received).toHaveLength(0);
    const [delivery] = await t.runtime.webhooks.deliveries(ep.id, 10);
    expect(delivery).toMatchObject({ status: 'pending', attempts: [{ status_code: null, error: expect.stringMatching(/^not sent: .*ATENDER_WEBHOOK_SECRETS_KEY/) }] });
  });
});
