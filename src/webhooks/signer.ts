/**
 * Standard Webhooks signing, done by the reference `standardwebhooks` package so
 * that receivers using any Standard Webhooks library verify us unchanged. During
 * a secret rotation's overlap every live secret signs, space-separated.
 */
import { Webhook } from 'standardwebhooks';

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export function signDelivery(messageId: string, at: number, body: string, secrets: readonly string[]): SignedHeaders {
  const timestamp = new Date(Math.floor(at / 1000) * 1000);
  const signatures = secrets.map((secret) => new Webhook(secret).sign(messageId, timestamp, body));
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
