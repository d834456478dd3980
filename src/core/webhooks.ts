/**
 * Webhook rules with no I/O (SPEC section 7): the event catalogue, the payload
 * shape, the retry schedule with jitter, and which target addresses are public.
 */
import ipaddr from 'ipaddr.js';

export const WEBHOOK_EVENT_TYPES = [
  'contact.created',
  'contact.updated',
  'contact.deleted',
  'conversation.created',
  'conversation.updated',
  'message.created',
  'article.published',
  'article.updated',
  'article.deleted',
  'api_key.rotated',
  'api_key.revoked',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(name: string): name is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(name);
}

/** Splits and validates an event list; returns the unknown names when there are any. */
export function parseEventTypes(names: readonly string[]): { events: WebhookEventType[] } | { unknown: string[] } {
  const cleaned = names.map((n) => n.trim()).filter((n) => n.length > 0);
  const unknown = cleaned.filter((n) => !isWebhookEventType(n));
  if (unknown.length > 0) return { unknown };
  return { events: [...new Set(cleaned as WebhookEventType[])].sort() };
}

/** The body every delivery carries: `{"type", "timestamp", "data"}`. */
export function eventPayload(type: WebhookEventType, at: number, data: object): string {
  return JSON.stringify({ type, timestamp: new Date(at).toISOString(), data });
}

/** About 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after each failed attempt; then the delivery has failed. */
export const DEFAULT_RETRY_SCHEDULE_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000] as const;

/** An endpoint failing without a single success for this long is disabled. */
export const DISABLE_AFTER_FAILING_MS = 5 * 86_400_000;

/** Bodies read from a receiver are capped; the log keeps a shorter prefix. */
export const RESPONSE_READ_LIMIT = 64 * 1024;
export const RESPONSE_LOG_LIMIT = 1024;

/**
 * When to try again after `failedAttempts` failures, or null when the schedule is
 * spent. ±20 % jitter spreads the retries of one outage so they do not arrive
 * together (the first stays within 10 s: 5 s × 1.2 = 6 s).
 */
export function nextRetryDelay(failedAttempts: number, schedule: readonly number[], random: number): number | null {
  const base = schedule[failedAttempts - 1];
  if (base === undefined) return null;
  return Math.round(base * (0.8 + 0.4 * random));
}

/**
 * Whether a webhook may be sent to this address: only global unicast. Loopback,
 * private, link-local (cloud metadata), CGNAT, multicast, reserved and the IPv6
 * ranges that embed IPv4 (mapped, NAT64, 6to4, Teredo) are refused.
 */
export function isPublicAddress(address: string): boolean {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address.replace(/^\[|\]$/g, ''));
  } catch {
    return false;
  }
  return parsed.range() === 'unicast';
}
