/**
 * Verifies a webhook delivery the Standard Webhooks way: the signed content is
 * `<webhook-id>.<webhook-timestamp>.<raw body>`, HMAC-SHA256 with the secret's
 * base64 bytes (after `whsec_`), sent as `webhook-signature: v1,<base64>` (several
 * space-separated signatures during a secret rotation). The comparison is
 * constant-time and the timestamp must be within `toleranceSeconds` of now, so a
 * captured delivery cannot be replayed later.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface WebhookEvent<D = Record<string, unknown>> {
  type: string;
  timestamp: string;
  data: D;
}

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** `whsec_...` as shown when the endpoint was created. */
  secret: string;
  /** The raw request body, exactly as received (not re-serialised JSON). */
  payload: string | Uint8Array;
  headers: WebhookHeaders;
  /** Accepted clock difference in seconds (default 300). */
  toleranceSeconds?: number;
  /** Now in ms, for tests. */
  now?: number;
}

export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const value = record[name] ?? Object.entries(record).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? value[0] : value;
}

function secretBytes(secret: string): Buffer {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length === 0) throw new WebhookVerificationError('the webhook secret is empty or not base64');
  return bytes;
}

/** Returns the parsed event when the signature is valid and fresh; throws WebhookVerificationError otherwise. */
export function verifyWebhook<D = Record<string, unknown>>(options: VerifyWebhookOptions): WebhookEvent<D> {
  const id = header(options.headers, 'webhook-id');
  const timestamp = header(options.headers, 'webhook-timestamp');
  const signatures = header(options.headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature header');
  if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookVerificationError('webhook-timestamp is not a Unix time in seconds');
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  if (Math.abs(nowSeconds - Number(timestamp)) > tolerance) throw new WebhookVerificationError('webhook-timestamp is outside the tolerance: too old or too new');

  const payload = typeof options.payload === 'string' ? Buffer.from(options.payload, 'utf8') : Buffer.from(options.payload);
  const expected = createHmac('sha256', secretBytes(options.secret))
    .update(`${id}.${timestamp}.`)
    .update(payload)
    .digest();
  const valid = signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',', 2);
    if (version !== 'v1' || !signature) return false;
    const given = Buffer.from(signature, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!valid) throw new WebhookVerificationError('no webhook-signature matches the payload');
  try {
    return JSON.parse(payload.toString('utf8')) as WebhookEvent<D>;
  } catch {
    throw new WebhookVerificationError('the payload is not JSON');
  }
}
