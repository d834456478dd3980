import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { WebhookVerificationError, verifyWebhook } from '../../src/sdk/index.js';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const payload = JSON.stringify({ type: 'contact.created', timestamp: '2026-01-01T12:00:00.000Z', data: { id: 'ct_1', email: 'a@example.com' } });
const now = Date.UTC(2026, 0, 1, 12);

/** Headers as the reference Standard Webhooks signer produces them. */
function signed(body = payload, at = now, signingSecret = secret, id = 'msg_1') {
  const signature = new Webhook(signingSecret).sign(id, new Date(at), body);
  return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at / 1000)), 'webhook-signature': signature };
}

describe('verifyWebhook', () => {
  it('accepts a delivery signed by the standardwebhooks library and returns the event', () => {
    const event = verifyWebhook({ secret, payload, headers: signed(), now });
    expect(event).toEqual(JSON.parse(payload));
  });

  it('accepts a Fetch Headers object, a Buffer body and one valid signature among several (secret rotation)', () => {
    const other = `whsec_${randomBytes(32).toString('base64')}`;
    const h = signed();
    const old = signed(payload, now, other)['webhook-signature'];
    const headers = new Headers({ ...h, 'webhook-signature': `${old} ${h['webhook-signature']}` });
    expect(verifyWebhook({ secret, payload: Buffer.from(payload), headers, now }).type).toBe('contact.created');
  });

  it('refuses a changed body, another secret, a changed id and a missing header', () => {
    const h = signed();
    const refuse = (o: Partial<Parameters<typeof verifyWebhook>[0]>) => expect(() => verifyWebhook({ secret, payload, headers: h, now, ...o })).toThrow(WebhookVerificationError);
    refuse({ payload: payload.replace('a@example.com', 'b@example.com') });
    refuse({ secret: `whsec_${randomBytes(32).toString('base64')}` });
    refuse({ headers: { ...h, 'webhook-id': 'msg_2' } });
    refuse({ headers: { ...h, 'webhook-signature': 'v2,' + h['webhook-signature'].slice(3) } });
    refuse({ headers: { 'webhook-id': h['webhook-id'], 'webhook-timestamp': h['webhook-timestamp'] } });
  });

  it('refuses a timestamp outside the tolerance in either direction (replays)', () => {
    const stale = signed(payload, now - 301_000);
    expect(() => verifyWebhook({ secret, payload, headers: stale, now })).toThrow(/tolerance/);
    const future = signed(payload, now + 301_000);
    expect(() => verifyWebhook({ secret, payload, headers: future, now })).toThrow(/tolerance/);
    expect(verifyWebhook({ secret, payload, headers: stale, now, toleranceSeconds: 600 }).type).toBe('contact.created');
  });

  it('agrees with the reference verifier on what it accepts', () => {
    const h = signed();
    const reference = new Webhook(secret);
    // The reference checks against the real clock, so sign for now.
    const live = signed(payload, Date.now());
    expect(reference.verify(payload, live)).toEqual(verifyWebhook({ secret, payload, headers: live }));
    expect(() => reference.verify(payload + ' ', live)).toThrow();
    expect(() => verifyWebhook({ secret, payload: payload + ' ', headers: h, now })).toThrow(WebhookVerificationError);
  });
});
