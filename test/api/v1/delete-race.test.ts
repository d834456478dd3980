/**
 * A write that refers to a row another transaction deletes while it runs. On
 * PostgreSQL the write finds the row, then its foreign key check waits for the
 * delete and fails: that must be an answer the client can act on, not a 500.
 * (SQLite has one writer at a time, so there the two cannot interleave.)
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../../helpers/app.js';
import { type Api, api } from '../../helpers/api.js';
import { postgresDatabase, requireService } from '../../helpers/services.js';

const run = process.env.ATENDER_TEST_DATABASE !== 'sqlite' && (await requireService('postgres'));

describe.runIf(run)('a conversation deleted while a message is being posted to it (PostgreSQL)', () => {
  let t: TestApp;
  let c: Api;
  beforeAll(async () => {
    t = await startTestApp({ database: postgresDatabase });
    c = api(t, (await t.key({ scopes: ['contacts:write', 'conversations:read', 'conversations:write'] })).key);
  });
  afterAll(() => t?.close());

  it('answers 409 conflict, writes nothing, and the next post is 404', async () => {
    const contactId = (await c.post('/v1/contacts', { email: 'race@example.com' })).json().id;
    const conversationId = (await c.post('/v1/conversations', { contact_id: contactId, message: { body: 'first' } })).json().id;
    const other = new pg.Client({ connectionString: t.runtime.config.databaseUrl });
    await other.connect();
    try {
      // The delete takes the conversation's row lock and holds it, uncommitted.
      await other.query('begin');
      await other.query('delete from messages where conversation_id = $1', [conversationId]);
      await other.query('delete from conversations where id = $1', [conversationId]);
      const posting = c.post(`/v1/conversations/${conversationId}/messages`, { body: 'second', author: { type: 'agent', id: 'a-1' } });
      // The post sees the conversation (the delete is not committed), then its insert waits on the lock.
      const waiting = async () => (await other.query("select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'")).rows[0].n;
      for (const deadline = Date.now() + 10_000; (await waiting()) === 0; ) {
        if (Date.now() > deadline) throw new Error('the post never waited on the deleted row');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await other.query('commit');
      const res = await posting;
      expect(res.statusCode).toBe(409);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ code: 'conflict', status: 409 });
      expect(res.json().detail).toMatch(/deleted while this request ran/);
      const left = await other.query('select count(*)::int as n from messages where conversation_id = $1', [conversationId]);
      expect(left.rows[0].n).toBe(0);
    } finally {
      await other.end();
    }
    expect((await c.post(`/v1/conversations/${conversationId}/messages`, { body: 'third', author: { type: 'agent', id: 'a-1' } })).statusCode).toBe(404);
  });
});
