import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../../helpers/app.js';
import { type Api, api } from '../../helpers/api.js';
import { testDatabases } from '../../helpers/services.js';

describe.each(await testDatabases())('knowledge base writes under concurrency ($name)', (database) => {
  let t: TestApp;
  let c: Api;
  beforeAll(async () => {
    t = await startTestApp({ database });
    c = api(t, (await t.key({ scopes: ['knowledge:read', 'knowledge:write'] })).key);
  });
  afterAll(() => t?.close());

  it('concurrent upserts of one new slug make one article (one 201, the rest 200)', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => c.put('/v1/knowledge/articles/by-slug/race', { title: `t${i}`, body: 'b' })));
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((r) => r.json().id)).size).toBe(1);
  });
});
