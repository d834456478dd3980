import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE_MS, WEBHOOK_EVENT_TYPES, eventPayload, isPublicAddress, nextRetryDelay, parseEventTypes } from '../../src/core/webhooks.js';

describe('webhook rules', () => {
  it('knows exactly the SPEC 7 event types', () => {
    expect([...WEBHOOK_EVENT_TYPES].sort()).toEqual(
      ['contact.created', 'contact.updated', 'contact.deleted', 'conversation.created', 'conversation.updated', 'message.created', 'article.published', 'article.updated', 'article.deleted', 'api_key.rotated', 'api_key.revoked'].sort(),
    );
    expect(parseEventTypes([' article.updated', 'article.updated', 'api_key.revoked '])).toEqual({ events: ['api_key.revoked', 'article.updated'] });
    expect(parseEventTypes(['article.created', 'contact.created', '*'])).toEqual({ unknown: ['article.created', '*'] });
  });

  it('builds the payload {"type","timestamp","data"} in that order', () => {
    expect(eventPayload('article.deleted', Date.UTC(2026, 0, 2), { id: 'art_1' })).toBe('{"type":"article.deleted","timestamp":"2026-01-02T00:00:00.000Z","data":{"id":"art_1"}}');
  });

  it('retries after about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h with ±20 % jitter, then stops', () => {
    const s = DEFAULT_RETRY_SCHEDULE_MS;
    expect(s.map((ms) => ms / 1000)).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    for (const random of [0, 0.5, 0.999999]) {
      expect(nextRetryDelay(1, s, random)).toBeLessThanOrEqual(10_000); // SPEC 7: first retry within 10 s
      for (let n = 1; n <= 7; n++) {
        const d = nextRetryDelay(n, s, random)!;
        expect(d).toBeGreaterThanOrEqual(s[n - 1]! * 0.8);
        expect(d).toBeLessThanOrEqual(s[n - 1]! * 1.2);
      }
      expect(nextRetryDelay(8, s, random)).toBeNull();
    }
    expect(nextRetryDelay(1, s, 0)).not.toBe(nextRetryDelay(1, s, 0.9));
  });

  it.each([
    ['127.0.0.1'],
    ['127.8.9.10'],
    ['10.1.2.3'],
    ['172.16.0.1'],
    ['192.168.1.1'],
    ['169.254.169.254'],
    ['100.64.0.1'],
    ['0.0.0.0'],
    ['224.0.0.1'],
    ['255.255.255.255'],
    ['::1'],
    ['::'],
    ['fe80::1'],
    ['fc00::1'],
    ['fd12:3456::1'],
    ['::ffff:127.0.0.1'],
    ['::ffff:10.0.0.1'],
    ['64:ff9b::7f00:1'],
    ['2002:7f00:1::1'],
    ['[::1]'],
    ['not an address'],
  ])('%s is not a public target', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([['93.184.216.34'], ['8.8.8.8'], ['2606:4700:4700::1111'], ['::ffff:8.8.8.8']])('%s is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});
