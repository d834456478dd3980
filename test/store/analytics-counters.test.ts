/**
 * The daily counters analytics reads are kept in step by every write; whatever
 * sequence of writes happens, they equal a recount from the rows.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildDailyCounts } from '../../src/store/analytics-repo.js';
import { ManualClock, type TestApp, startTestApp } from '../helpers/app.js';
import { type Api, api } from '../helpers/api.js';
import { testDatabases } from '../helpers/services.js';

const op = fc.oneof(
  fc.record({ kind: fc.constant('conversation' as const), channel: fc.constantFrom('api', 'email', 'chat', 'phone'), withMessage: fc.boolean() }),
  fc.record({ kind: fc.constant('message' as const), author: fc.constantFrom('contact', 'agent', 'bot') }),
  fc.record({ kind: fc.constant('status' as const), status: fc.constantFrom('open', 'snoozed', 'closed') }),
  fc.record({ kind: fc.constant('delete' as const) }),
  fc.record({ kind: fc.constant('advance' as const), hours: fc.integer({ min: 1, max: 60 }) }),
);

describe.each(await testDatabases())('analytics counters ($name)', (database) => {
  let t: TestApp;
  let c: Api;
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  beforeAll(async () => {
    t = await startTestApp({ database, clock });
    c = api(t, (await t.key({ scopes: ['contacts:write', 'conversations:write'] })).key);
  });
  afterAll(() => t?.close());

  async function snapshot(tenantId: string) {
    const db = t.runtime.store.db;
    const conversations = await db.selectFrom('daily_conversation_counts').selectAll().where('tenant_id', '=', tenantId).where('conversations', '!=', 0).orderBy(['day', 'channel', 'status']).execute();
    const messages = await db.selectFrom('daily_message_counts').selectAll().where('tenant_id', '=', tenantId).where('messages', '!=', 0).orderBy('day').execute();
    return { conversations: conversations.map((r) => ({ ...r, day: Number(r.day), conversations: Number(r.conversations) })), messages: messages.map((r) => ({ ...r, day: Number(r.day), messages: Number(r.messages) })) };
  }

  it('equal a recount from the rows after any sequence of creates, messages, status changes and cascade deletes', async () => {
    const tenantId = t.org.tenants.sandbox.id;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 15 }), async (ops) => {
        const contacts: string[] = [];
        const conversations: string[] = [];
        for (const o of ops) {
          if (o.kind === 'advance') clock.advance(o.hours * 3_600_000);
          else if (o.kind === 'conversation') {
            if (contacts.length === 0 || conversations.length % 3 === 0) contacts.push((await c.post('/v1/contacts', {})).json().id);
            const res = await c.post('/v1/conversations', { contact_id: contacts.at(-1), channel: o.channel, ...(o.withMessage ? { message: { body: 'x' } } : {}) });
            expect(res.statusCode).toBe(201);
            conversations.push(res.json().id);
          } else if (conversations.length === 0) continue;
          else if (o.kind === 'message') expect((await c.post(`/v1/conversations/${conversations.at(-1)}/messages`, { body: 'm', author: { type: o.author } })).statusCode).toBe(201);
          else if (o.kind === 'status') expect((await c.patch(`/v1/conversations/${conversations.at(-1)}`, { status: o.status })).statusCode).toBe(200);
          else {
            expect((await c.delete(`/v1/contacts/${contacts.shift()}?cascade=true`)).statusCode).toBe(204);
            conversations.length = 0;
          }
        }
        const maintained = await snapshot(tenantId);
        await rebuildDailyCounts(t.runtime.store.db, tenantId);
        expect(maintained).toEqual(await snapshot(tenantId));
      }),
      { numRuns: database.name === 'sqlite' ? 15 : 8 },
    );
  });
});
