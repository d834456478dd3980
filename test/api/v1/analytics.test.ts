import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, type TestApp, startTestApp } from '../../helpers/app.js';
import { type Api, api } from '../../helpers/api.js';
import { testDatabases } from '../../helpers/services.js';

const day = (d: number, hour = 10) => Date.UTC(2026, 2, d, hour); // March 2026

describe.each(await testDatabases())('GET /v1/analytics/conversations ($name)', (database) => {
  let t: TestApp;
  let c: Api;
  let reader: Api;
  const clock = new ManualClock(day(1));

  /** A conversation created at `at` by the contact, answered by an agent `replyAfterS` seconds later (if given). */
  async function conversation(client: Api, at: number, channel: string, replyAfterS?: number) {
    clock.set(at);
    const contact = (await client.post('/v1/contacts', {})).json().id;
    const cv = (await client.post('/v1/conversations', { contact_id: contact, channel, message: { body: 'help' } })).json();
    if (replyAfterS !== undefined) {
      clock.advance(replyAfterS * 1000);
      await client.post(`/v1/conversations/${cv.id}/messages`, { body: 'on it', author: { type: 'agent', id: 'a1' } });
    }
    return cv.id as string;
  }

  beforeAll(async () => {
    t = await startTestApp({ database, clock });
    const writer = ['contacts:write', 'conversations:write'] as const;
    c = api(t, (await t.key({ scopes: [...writer] })).key);
    reader = api(t, (await t.key({ scopes: ['analytics:read'] })).key);
    const firstId = await conversation(c, day(2), 'api', 60);
    await conversation(c, day(2, 23), 'email', 120);
    const closed = await conversation(c, day(4), 'email');
    await c.patch(`/v1/conversations/${closed}`, { status: 'closed' });
    // Outbound: the agent wrote first, so only the reply to the contact's later message counts (30 s).
    clock.set(day(5));
    const contact = (await c.post('/v1/contacts', {})).json().id;
    const outbound = (await c.post('/v1/conversations', { contact_id: contact, channel: 'phone', message: { body: 'we called', author: { type: 'agent' } } })).json().id;
    clock.advance(10_000);
    await c.post(`/v1/conversations/${outbound}/messages`, { body: 'call me back', author: { type: 'contact' } });
    clock.advance(30_000);
    await c.post(`/v1/conversations/${outbound}/messages`, { body: 'calling', author: { type: 'agent' } });
    clock.advance(60_000);
    await c.post(`/v1/conversations/${outbound}/messages`, { body: 'a later reply does not count', author: { type: 'agent' } });
    // A message on day 6 in a day-2 conversation counts on day 6.
    clock.set(day(6));
    await c.post(`/v1/conversations/${firstId}/messages`, { body: 'thanks', author: { type: 'contact' } });
    // Outside the window, and in the other environment: never counted.
    await conversation(c, day(8), 'chat', 5);
    const live = api(t, (await t.key({ environment: 'production', scopes: [...writer] })).key);
    await conversation(live, day(3), 'chat', 1);
  });
  afterAll(() => t?.close());

  it('answers totals, channels, the median first response and a zero-filled daily series for the tenant only', async () => {
    const res = await reader.get('/v1/analytics/conversations?from=2026-03-01&to=2026-03-07&interval=day');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      from: '2026-03-01',
      to: '2026-03-07',
      interval: 'day',
      totals: { conversations: 4, messages: 10, open: 3, closed: 1 },
      by_channel: { api: 1, email: 2, chat: 0, phone: 1 },
      median_first_response_seconds: 60,
      series: [
        { start: '2026-03-01', conversations: 0, messages: 0 },
        { start: '2026-03-02', conversations: 2, messages: 4 },
        { start: '2026-03-03', conversations: 0, messages: 0 },
        { start: '2026-03-04', conversations: 1, messages: 1 },
        { start: '2026-03-05', conversations: 1, messages: 4 },
        { start: '2026-03-06', conversations: 0, messages: 1 },
        { start: '2026-03-07', conversations: 0, messages: 0 },
      ],
    });
  });

  it('the median of an even count is the mean of the two middle values', async () => {
    const body = (await reader.get('/v1/analytics/conversations?from=2026-03-02&to=2026-03-02')).json();
    expect(body.median_first_response_seconds).toBe(90);
    expect(body.series).toEqual([{ start: '2026-03-02', conversations: 2, messages: 4 }]);
  });

  it('weekly buckets start at `from`; `to` is a whole day', async () => {
    const body = (await reader.get('/v1/analytics/conversations?from=2026-03-02&to=2026-03-09&interval=week')).json();
    expect(body.series).toEqual([
      { start: '2026-03-02', conversations: 5, messages: 12 },
      { start: '2026-03-09', conversations: 0, messages: 0 },
    ]);
    const toDay8 = (await reader.get('/v1/analytics/conversations?from=2026-03-08&to=2026-03-08')).json();
    expect(toDay8.totals).toEqual({ conversations: 1, messages: 2, open: 1, closed: 0 });
    expect(toDay8.median_first_response_seconds).toBe(5);
  });

  it('an empty period has zeros and a null median', async () => {
    const body = (await reader.get('/v1/analytics/conversations?from=2025-01-01&to=2025-01-03')).json();
    expect(body.totals).toEqual({ conversations: 0, messages: 0, open: 0, closed: 0 });
    expect(body.median_first_response_seconds).toBeNull();
    expect(body.series).toHaveLength(3);
  });

  it('defaults to the 30 days up to today (UTC) by day', async () => {
    clock.set(day(10, 15));
    const body = (await reader.get('/v1/analytics/conversations')).json();
    expect(body).toMatchObject({ from: '2026-02-09', to: '2026-03-10', interval: 'day' });
    expect(body.series).toHaveLength(30);
    expect(body.totals.conversations).toBe(5);
  });

  it('366 days is allowed; 367, from after to, impossible dates and unknown intervals are 400', async () => {
    const full = await reader.get('/v1/analytics/conversations?from=2025-03-08&to=2026-03-08');
    expect(full.statusCode).toBe(200);
    expect(full.json().series).toHaveLength(366);
    for (const query of ['from=2025-03-07&to=2026-03-08', 'from=2026-03-08&to=2026-03-07', 'from=2026-02-30&to=2026-03-01', 'from=2026-03-01&to=tomorrow', 'interval=month', 'from=2026-03-01T00:00:00Z']) {
      const res = await reader.get(`/v1/analytics/conversations?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().code).toBe('invalid_request');
      expect(res.json().errors.length).toBeGreaterThan(0);
    }
  });

  it('weekly over 366 days: 53 buckets, the last one shorter', async () => {
    const weekly = (await reader.get('/v1/analytics/conversations?from=2025-03-08&to=2026-03-08&interval=week')).json();
    expect(weekly.series).toHaveLength(53);
    expect(weekly.series.at(-1).start).toBe('2026-03-07');
    expect(weekly.totals.conversations).toBe(5);
    expect(weekly.series.reduce((a: number, s: { conversations: number }) => a + s.conversations, 0)).toBe(5);
  });

});
