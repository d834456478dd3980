/** `atender push-kb` run as a user runs it (the real bin) against a real server over loopback HTTP. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../../src/core/keys.js';
import { MANIFEST_FILE } from '../../src/kb-sync/manifest.js';
import { Atender } from '../../src/sdk/index.js';
import { type TestApp, startTestApp } from '../helpers/app.js';
import { BIN, runCli } from '../helpers/cli.js';
import { docFile, docsFolder } from '../helpers/docs-folder.js';
import { readUsageEvents } from '../../src/usage/event-blocks.js';

let t: TestApp;
let url: string;

beforeAll(async () => {
  t = await startTestApp();
  url = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => t?.close());

async function writerKey() {
  return (await t.key({ scopes: ['knowledge:read', 'knowledge:write'] })).key;
}

/** Requests other than GET that the server recorded for this key (usage rows). */
async function writesBy(key: string): Promise<Array<{ method: string; route: string }>> {
  await t.runtime.usage.flush();
  const keyId = (await new Atender({ apiKey: key, baseUrl: url }).me()).id;
  await t.runtime.usage.flush();
  return (await readUsageEvents(t.runtime.store.db, { keyId })).filter((e) => e.method !== 'GET').map(({ method, route }) => ({ method, route }));
}

const push = (key: string, args: string[]) => runCli(['push-kb', ...args], { ATENDER_API_KEY: key, ATENDER_API_URL: url });

describe('push-kb', () => {
  it('syncs 200 files, then writes nothing on a second run, one PATCH for one edited file, and prunes only with --prune', async () => {
    const key = await writerKey();
    const dir = docsFolder(200);
    const client = new Atender({ apiKey: key, baseUrl: url });

    const first = await push(key, [dir]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('plan: 200 to create, 0 to update, 0 to delete, 0 unchanged');
    expect(first.stdout).toMatch(/done: 200 created, 0 updated, 0 deleted, 0 unchanged, 0 failed/);
    const articles = await client.knowledge.articles.list().toArray();
    expect(articles).toHaveLength(200);
    const seven = await client.knowledge.articles.getBySlug('section-7.article-0007');
    expect(seven).toMatchObject({ title: 'Article 7', collection: 'section-7', status: 'published', body: '# Article 7\n\nGenerated body 7.\n' });
    expect(await writesBy(key)).toHaveLength(200);

    const second = await push(key, [dir]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('plan: 0 to create, 0 to update, 0 to delete, 200 unchanged');
    expect(second.stdout).toContain('nothing to do (3 requests)'); // GET /v1/me and two pages of 100
    expect(await writesBy(key)).toHaveLength(200);

    writeFileSync(join(dir, docFile(42).path), docFile(42).text.replace('Generated body 42.', 'Edited body.'));
    const third = await push(key, [dir]);
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('update   section-2.article-0042  (section-2/article-0042.md: body)');
    const writes = await writesBy(key);
    expect(writes.slice(200).map((w) => w.method)).toEqual(['PATCH']);
    expect((await client.knowledge.articles.getBySlug('section-2.article-0042')).body).toBe('# Article 42\n\nEdited body.\n');

    // An article written by someone else, with no file, must survive --prune.
    const manual = await client.knowledge.articles.create({ title: 'Written in the dashboard', body: 'x', slug: 'manual' });
    rmSync(join(dir, docFile(5).path));
    const keep = await push(key, [dir]);
    expect(keep.code).toBe(0);
    expect(keep.stdout).toContain('keep     section-5.article-0005');
    expect(keep.stdout).not.toContain('manual');
    expect(await client.knowledge.articles.list().toArray()).toHaveLength(201);

    const pruned = await push(key, [dir, '--prune']);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain('delete   section-5.article-0005');
    expect(pruned.stdout).toContain('done: 0 created, 0 updated, 1 deleted, 199 unchanged, 0 failed');
    const left = await client.knowledge.articles.list().toArray();
    expect(left).toHaveLength(200);
    expect(left.some((a) => a.slug === 'section-5.article-0005')).toBe(false);
    expect(left.some((a) => a.id === manual.id)).toBe(true);
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8'));
    expect(Object.keys(Object.values(manifest.tenants as Record<string, { articles: object }>)[0]!.articles)).toHaveLength(199);
  });

  it('on Ctrl-C finishes the request in flight, skips the rest and records what it created', async () => {
    const key = await writerKey();
    const dir = docsFolder(100, 'interrupted');
    const child = spawn(process.execPath, [BIN, 'push-kb', dir, '--concurrency', '1'], { env: { ...process.env, ATENDER_API_KEY: key, ATENDER_API_URL: url } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if ((stdout.match(/^created /gm) ?? []).length === 3) child.kill('SIGINT');
    });
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('interrupted: finishing the requests in flight');
    const created = (stdout.match(/^created /gm) ?? []).length;
    expect(created).toBeGreaterThanOrEqual(3);
    expect(stdout).toContain(`done: ${created} created`);
    expect(stderr).toContain(`push-kb: 0 of 100 change(s) failed, ${100 - created} skipped`);
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8'));
    expect(Object.keys(Object.values(manifest.tenants as Record<string, { articles: object }>)[0]!.articles)).toHaveLength(created);
  });

  it('--dry-run prints the plan and writes nothing, not even the state file', async () => {
    const key = await writerKey();
    const dir = docsFolder(3, 'dry');
    const run = await push(key, [dir, '--dry-run']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('create   dry.section-0.article-0000  (dry/section-0/article-0000.md)');
    expect(run.stdout).toContain('dry run: nothing written');
    expect(await writesBy(key)).toHaveLength(0);
    expect(existsSync(join(dir, MANIFEST_FILE))).toBe(false);
  });

  it('fails with the 403 message when the key lacks knowledge:write, and stops after the first refusal', async () => {
    const key = (await t.key({ scopes: ['knowledge:read'] })).key;
    const run = await push(key, [docsFolder(20, 'readonly'), '--concurrency', '1']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('failed   readonly.section-0.article-0000: insufficient_scope: this endpoint needs knowledge:write; the key lacks knowledge:write');
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^atender: push-kb: 1 of 20 change\(s\) failed, 19 skipped; first: insufficient_scope: this endpoint needs knowledge:write; the key lacks knowledge:write \(request req_\w+\)$/)]);
    expect(run.stdout.match(/skipped/g)).toHaveLength(19);
  });

  it('fails with the 403 message when the key cannot even read the articles', async () => {
    const key = (await t.key({ scopes: ['knowledge:write'] })).key;
    const run = await push(key, [docsFolder(1, 'writeonly')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^atender: push-kb: insufficient_scope: this endpoint needs knowledge:read; the key lacks knowledge:read/);
  });

  it('refuses invalid files before writing anything, naming each', async () => {
    const key = await writerKey();
    const dir = docsFolder(2, 'invalid');
    writeFileSync(join(dir, 'broken.md'), 'no front matter');
    const run = await push(key, [dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('atender: broken.md: has no front matter');
    expect(run.stderr).toContain('1 file(s) cannot be synced; nothing was written');
    expect(await writesBy(key)).toHaveLength(0);
  });

  it('refuses a production key without --yes, and allows it with --yes', async () => {
    const key = (await t.key({ environment: 'production', scopes: ['knowledge:read', 'knowledge:write'] })).key;
    const dir = docsFolder(1);
    const refused = await push(key, [dir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^atender: refusing to write with a production key \(sa_live_\) without --yes/);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    const dry = await push(key, [dir, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('warning: this is a production key');
    expect(await writesBy(key)).toHaveLength(0);
    const allowed = await push(key, [dir, '--yes']);
    expect(allowed.code).toBe(0);
    expect(await writesBy(key)).toHaveLength(1);
  });

  it.each([
    [['push-kb'], {}, /missing required argument/],
    [['push-kb', '/nonexistent-dir'], {}, /not a directory/],
    [['push-kb', '.', '--concurrency', '0'], {}, /--concurrency must be a whole number from 1 to 32/],
    [['push-kb', '.', '--bogus'], {}, /unknown option/],
    [['push-kb', '.'], { ATENDER_API_KEY: '' }, /no API key/],
    [['push-kb', '.'], { ATENDER_API_KEY: generateKey('sandbox').slice(0, -1) + '!' }, /key format/],
    [['push-kb', '.'], { ATENDER_API_URL: '' }, /no server URL/],
  ])('bad arguments %j: one line on stderr, exit 2', async (args, env, message) => {
    const run = await runCli(args, { ATENDER_API_KEY: generateKey('sandbox'), ATENDER_API_URL: url, ...env });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
  });
});
