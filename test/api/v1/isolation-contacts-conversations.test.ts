/**
 * Property (the contacts/conversations/messages side of isolation.test.ts):
 * whatever a tenant creates, the other environment of its org and both
 * environments of another org never see it. Every id-taking route answers 404
 * (never the data), every list and filter leaves it out, and writes through a
 * foreign id change nothing.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_SCOPES } from '../../../src/core/scopes.js';
import { OPERATOR } from '../../../src/store/audit-repo.js';
import { type TestApp, startTestApp } from '../../helpers/app.js';
import { type Api, allPages, api } from '../../helpers/api.js';
import { testDatabases } from '../../helpers/services.js';

type Kind = 'contact' | 'conversation' | 'message';
interface Owned {
  tenant: number;
  kind: Kind;
  id: string;
  /** A string only this resource's data contains. */
  marker: string;
  /** The conversation of a message, the email of a contact. */
  extra: string;
}

const command = fc.record({ tenant: fc.integer({ min: 0, max: 3 }), kind: fc.constantFrom<Kind>('contact', 'conversation', 'message'), email: fc.constantFrom('same', 'other', 'third') });

describe.each(await testDatabases())('tenant isolation, property-based ($name)', (database) => {
  let t: TestApp;
  let tenants: Api[];
  let serial = 0;
  let run = 0;

  beforeAll(async () => {
    t = await startTestApp({ database });
    const other = await t.runtime.orgs.create(`Other org ${Math.random().toString(36).slice(2, 8)}`, { maxTier: 'enterprise' });
    const keyFor = (orgId: string, environment: 'production' | 'sandbox') => t.runtime.keys.create({ orgId, environment, name: 'iso', scopes: ALL_SCOPES }, OPERATOR);
    const keys = await Promise.all([keyFor(t.org.org.id, 'production'), keyFor(t.org.org.id, 'sandbox'), keyFor(other.org.id, 'production'), keyFor(other.org.id, 'sandbox')]);
    tenants = keys.map((k) => api(t, k.key));
  });
  afterAll(() => t?.close());

  async function create(owned: Owned[], tenant: number, kind: Kind, email: string): Promise<void> {
    const c = tenants[tenant]!;
    const marker = `mark${serial++}x${Math.random().toString(36).slice(2, 8)}`;
    const mine = (k: Kind) => owned.filter((o) => o.tenant === tenant && o.kind === k);
    if (kind === 'contact' || mine('contact').length === 0) {
      const res = await c.post('/v1/contacts', { name: marker, external_id: `ext-${marker}`, ...(mine('contact').some((o) => o.extra === email) ? {} : { email }) });
      owned.push({ tenant, kind: 'contact', id: res.json().id, marker, extra: res.json().email ?? '' });
    } else if (kind === 'conversation' || mine('conversation').length === 0) {
      const res = await c.post('/v1/conversations', { contact_id: mine('contact')[0]!.id, subject: marker, message: { body: marker } });
      owned.push({ tenant, kind: 'conversation', id: res.json().id, marker, extra: '' });
    } else {
      const conversation = mine('conversation')[0]!.id;
      const res = await c.post(`/v1/conversations/${conversation}/messages`, { body: marker, author: { type: 'agent' } });
      owned.push({ tenant, kind, id: res.json().id, marker, extra: conversation });
    }
    expect(owned.at(-1)!.id).toBeTruthy();
  }

  /** What a foreign tenant may try with someone else's resource; each must be 404 and carry none of its data. */
  function probes(o: Owned): { method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'; url: string; body?: unknown }[] {
    switch (o.kind) {
      case 'contact':
        return [
          { method: 'GET', url: `/v1/contacts/${o.id}` },
          { method: 'PATCH', url: `/v1/contacts/${o.id}`, body: { name: 'hijacked' } },
          { method: 'DELETE', url: `/v1/contacts/${o.id}?cascade=true` },
          { method: 'POST', url: '/v1/conversations', body: { contact_id: o.id } },
          { method: 'POST', url: '/v1/channels/api/conversations', body: { contact: { id: o.id }, message: { body: 'x' } } },
        ];
      case 'conversation':
        return [
          { method: 'GET', url: `/v1/conversations/${o.id}` },
          { method: 'GET', url: `/v1/conversations/${o.id}/messages` },
          { method: 'PATCH', url: `/v1/conversations/${o.id}`, body: { status: 'closed' } },
          { method: 'POST', url: `/v1/conversations/${o.id}/messages`, body: { body: 'x', author: { type: 'agent' } } },
        ];
      case 'message':
        return [{ method: 'GET', url: `/v1/conversations/${o.extra}/messages` }];
    }
  }

  const readUrl = (o: Owned) =>
    ({ contact: `/v1/contacts/${o.id}`, conversation: `/v1/conversations/${o.id}`, message: `/v1/conversations/${o.extra}/messages` })[o.kind];

  it('an id from the other environment or another org is 404, never data; lists and filters never show it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 8 }), async (commands) => {
        const owned: Owned[] = [];
        run++;
        // Emails repeat across the tenants of a run (allowed), never across runs.
        for (const { tenant, kind, email } of commands) await create(owned, tenant, kind, `${email}-${run}@example.com`);
        for (const o of owned) {
          const before = (await tenants[o.tenant]!.get(readUrl(o))).body;
          for (let other = 0; other < tenants.length; other++) {
            if (other === o.tenant) continue;
            for (const probe of probes(o)) {
              const c = tenants[other]!;
              const res = probe.method === 'GET' ? await c.get(probe.url) : probe.method === 'DELETE' ? await c.delete(probe.url) : probe.method === 'POST' ? await c.post(probe.url, probe.body) : await c.patch(probe.url, probe.body);
              expect(res.statusCode, `${probe.method} ${probe.url} from tenant ${other}`).toBe(404);
              expect(res.body).not.toContain(o.marker);
            }
            if (o.kind === 'contact') {
              expect((await tenants[other]!.get(`/v1/contacts?external_id=ext-${o.marker}`)).json().data).toEqual([]);
              if (o.extra) expect((await tenants[other]!.get(`/v1/contacts?email=${o.extra}`)).json().data.map((x: { id: string }) => x.id)).not.toContain(o.id);
            }
          }
          // Nothing a foreign tenant tried changed the resource.
          expect((await tenants[o.tenant]!.get(readUrl(o))).body).toBe(before);
        }
        for (let other = 0; other < tenants.length; other++) {
          const foreign = new Set(owned.filter((o) => o.tenant !== other).map((o) => o.id));
          for (const list of ['/v1/contacts', '/v1/conversations']) {
            const seen = await allPages<{ id: string }>(tenants[other]!, list);
            expect(seen.filter((x) => foreign.has(x.id))).toEqual([]);
          }
        }
      }),
      { numRuns: database.name === 'sqlite' ? 12 : 6 },
    );
  });
});
