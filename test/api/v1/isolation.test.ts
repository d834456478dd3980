/**
 * Tenant isolation, property-based (SPEC sections 1 and 6): random sequences of
 * operations by keys of the production and sandbox tenants of two orgs. Whatever
 * the sequence, no key ever sees, changes or deletes another tenant's article:
 * foreign ids and slugs answer 404 and lists hold exactly the tenant's own rows.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Environment } from '../../../src/core/keys.js';
import { OPERATOR } from '../../../src/store/audit-repo.js';
import { type TestApp, startTestApp } from '../../helpers/app.js';

const articles = '/v1/knowledge/articles';
const SLUGS = ['intro', 'billing', 'faq', 'setup', 'api'];

interface Tenant {
  name: string;
  key: string;
  /** The model: id → title and slug of what this tenant should hold. */
  rows: Map<string, { title: string; slug: string }>;
}

// Any valid title: at least one character that is not a space (blank titles are 400, tested in knowledge.test.ts).
const TITLE = fc.string({ minLength: 1, maxLength: 20 }).filter((title) => /\S/.test(title));
const Op = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), slug: fc.option(fc.constantFrom(...SLUGS), { nil: undefined }), title: TITLE }),
  fc.record({ kind: fc.constant('get' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('getBySlug' as const), slug: fc.constantFrom(...SLUGS) }),
  fc.record({ kind: fc.constant('patch' as const), pick: fc.nat(), title: TITLE }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('upsert' as const), slug: fc.constantFrom(...SLUGS), title: TITLE }),
  fc.record({ kind: fc.constant('list' as const) }),
);
const Step = fc.record({ actor: fc.integer({ min: 0, max: 3 }), op: Op });

describe('isolation between tenants and orgs (property)', () => {
  let t: TestApp;
  let tenants: Tenant[];
  beforeAll(async () => {
    t = await startTestApp();
    const second = await t.runtime.orgs.create('Other org', {});
    const scopes = ['knowledge:read', 'knowledge:write'] as const;
    const make = async (orgId: string, environment: Environment, name: string): Promise<Tenant> => ({
      name,
      key: (await t.runtime.keys.create({ orgId, environment, name, scopes: [...scopes], perMinute: 1_000_000 }, OPERATOR)).key,
      rows: new Map(),
    });
    tenants = [
      await make(t.org.org.id, 'production', 'org1/production'),
      await make(t.org.org.id, 'sandbox', 'org1/sandbox'),
      await make(second.org.id, 'production', 'org2/production'),
      await make(second.org.id, 'sandbox', 'org2/sandbox'),
    ];
  });
  afterAll(() => t.close());

  /** Every id any tenant holds or held, so operations aim at foreign ids as often as at own ones. */
  const allIds = (): string[] => tenants.flatMap((x) => [...x.rows.keys()]);
  const owner = (id: string) => tenants.find((x) => x.rows.has(id)) ?? null;
  const slugOwnerId = (tenant: Tenant, slug: string) => [...tenant.rows].find(([, r]) => r.slug === slug)?.[0] ?? null;

  it('no sequence of operations lets a key see or touch another tenant', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(Step, { minLength: 5, maxLength: 25 }), async (steps) => {
        await t.runtime.store.db.deleteFrom('articles').execute();
        for (const x of tenants) x.rows.clear();
        const graveyard: string[] = [];

        for (const { actor, op } of steps) {
          const me = tenants[actor]!;
          const req = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object) => t.request(me.key, { method, url, ...(payload ? { payload } : {}) });
          const pool = [...allIds(), ...graveyard];
          const target = 'pick' in op && pool.length > 0 ? pool[op.pick % pool.length]! : 'art_00000000000000000000000000';
          const mine = me.rows.has(target);

          switch (op.kind) {
            case 'create': {
              const res = await req('POST', articles, { title: op.title, body: `by ${me.name}`, ...(op.slug ? { slug: op.slug } : {}) });
              if (op.slug && slugOwnerId(me, op.slug)) {
                expect(res.statusCode).toBe(409);
              } else {
                expect(res.statusCode).toBe(201);
                const a = res.json();
                me.rows.set(a.id, { title: op.title, slug: a.slug });
              }
              break;
            }
            case 'get': {
              const res = await req('GET', `${articles}/${target}`);
              expect(res.statusCode).toBe(mine ? 200 : 404);
              if (mine) expect(res.json()).toMatchObject({ id: target, title: me.rows.get(target)!.title, body: `by ${me.name}` });
              break;
            }
            case 'getBySlug': {
              const res = await req('GET', `${articles}/by-slug/${op.slug}`);
              const own = slugOwnerId(me, op.slug);
              expect(res.statusCode).toBe(own ? 200 : 404);
              if (own) expect(res.json().id).toBe(own);
              break;
            }
            case 'patch': {
              const res = await req('PATCH', `${articles}/${target}`, { title: op.title });
              expect(res.statusCode).toBe(mine ? 200 : 404);
              if (mine) me.rows.get(target)!.title = op.title;
              break;
            }
            case 'delete': {
              const res = await req('DELETE', `${articles}/${target}`);
              expect(res.statusCode).toBe(mine ? 204 : 404);
              if (mine) {
                me.rows.delete(target);
                graveyard.push(target);
              }
              break;
            }
            case 'upsert': {
              const own = slugOwnerId(me, op.slug);
              const res = await req('PUT', `${articles}/by-slug/${op.slug}`, { title: op.title, body: `by ${me.name}` });
              expect(res.statusCode).toBe(own ? 200 : 201);
              const a = res.json();
              if (own) expect(a.id).toBe(own);
              me.rows.set(a.id, { title: op.title, slug: op.slug });
              break;
            }
            case 'list': {
              const res = await req('GET', `${articles}?limit=100`);
              const ids = res.json().data.map((a: { id: string }) => a.id);
              expect(new Set(ids)).toEqual(new Set(me.rows.keys()));
              break;
            }
          }
        }

        // In the end each tenant holds exactly its own rows, unchanged by anyone else.
        for (const x of tenants) {
          const data = (await t.request(x.key, { method: 'GET', url: `${articles}?limit=100` })).json().data as { id: string; title: string; body: string }[];
          expect(data.map((a) => a.id).sort()).toEqual([...x.rows.keys()].sort());
          for (const a of data) {
            expect(a.title).toBe(x.rows.get(a.id)!.title);
            expect(a.body).toBe(`by ${x.name}`);
            expect(owner(a.id)).toBe(x);
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});
