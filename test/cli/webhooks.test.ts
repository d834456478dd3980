import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('atender webhooks (needs `npm run build`)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atender-wh-cli-'));
  const env = { ATENDER_DATABASE_URL: join(dir, 'cli.db'), ATENDER_WEBHOOKS_ALLOW_PRIVATE: '1' };
  let org: string;
  beforeAll(async () => {
    const res = await runCli(['org', 'create', 'Hooks CLI', '--json'], env);
    expect(res.code).toBe(0);
    org = JSON.parse(res.stdout).org.slug;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('create --json prints exactly {id, url, environment, events, enabled, secret}', async () => {
    const res = await runCli(['webhooks', 'create', '--org', org, '--env', 'test', '--url', 'http://127.0.0.1:9/hook', '--events', 'article.published,api_key.revoked', '--json'], env);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const created = JSON.parse(res.stdout);
    expect(Object.keys(created)).toEqual(['id', 'url', 'environment', 'events', 'enabled', 'secret']);
    expect(created).toMatchObject({ url: 'http://127.0.0.1:9/hook', environment: 'sandbox', events: ['api_key.revoked', 'article.published'], enabled: true });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const list = await runCli(['webhooks', 'list', '--org', org, '--json'], env);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).data).toEqual([expect.objectContaining({ id: created.id, environment: 'sandbox', enabled: true })]);
    expect(list.stdout).not.toContain(created.secret);
    expect(list.stdout).not.toContain('whsec_');

    const deliveries = await runCli(['webhooks', 'deliveries', created.id, '--json'], env);
    expect(deliveries.code).toBe(0);
    expect(JSON.parse(deliveries.stdout)).toEqual({ data: [] });

    const human = await runCli(['webhooks', 'list', '--org', org], env);
    expect(human.stdout).toContain(created.id);
  }, 60_000);

  it('disable, enable, rotate-secret, replay, delete', async () => {
    const created = JSON.parse((await runCli(['webhooks', 'create', '--org', org, '--env', 'live', '--url', 'http://127.0.0.1:9/other', '--events', 'article.deleted', '--json'], env)).stdout);
    const disabled = await runCli(['webhooks', 'disable', created.id, '--json'], env);
    expect(JSON.parse(disabled.stdout)).toMatchObject({ enabled: false, disabled_reason: 'admin' });
    const enabled = await runCli(['webhooks', 'enable', created.id, '--json'], env);
    expect(JSON.parse(enabled.stdout)).toMatchObject({ enabled: true, disabled_reason: null });
    const rotated = await runCli(['webhooks', 'rotate-secret', created.id, '--overlap', '1h', '--json'], env);
    expect(JSON.parse(rotated.stdout).secret).toMatch(/^whsec_/);
    expect(JSON.parse(rotated.stdout).secret).not.toBe(created.secret);
    const replay = await runCli(['webhooks', 'replay', created.id, '--since', '1h', '--json'], env);
    expect(JSON.parse(replay.stdout)).toEqual({ replayed: 0 });
    expect((await runCli(['webhooks', 'delete', created.id], env)).code).toBe(0);
    expect(JSON.parse((await runCli(['webhooks', 'list', '--org', org, '--json'], env)).stdout).data.map((e: { id: string }) => e.id)).not.toContain(created.id);
    const gone = await runCli(['webhooks', 'deliveries', created.id], env);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/not_found/);
  }, 60_000);

  it.each([
    [['webhooks', 'create', '--org', 'x', '--env', 'staging', '--url', 'https://a.example.com', '--events', 'article.published'], /--env/],
    [['webhooks', 'create', '--org', 'x', '--env', 'live', '--url', 'https://a.example.com', '--events', 'article.created'], /unknown event type\(s\): article\.created/],
    [['webhooks', 'create', '--org', 'x', '--env', 'live', '--url', 'ftp://a.example.com', '--events', 'article.published'], /--url: only http and https/],
    [['webhooks', 'create', '--org', 'x', '--env', 'live', '--events', 'article.published'], /--url/],
    [['webhooks', 'deliveries', 'key_123'], /not a webhook endpoint id/],
    [['webhooks', 'replay', 'whe_00000000000000000000000000', '--since', 'yesterday'], /--since/],
  ])('%j: one line on stderr, exit 2, nothing written', async (args, message) => {
    const fresh = join(dir, `untouched-${Math.random().toString(36).slice(2)}.db`);
    const res = await runCli(args, { ...env, ATENDER_DATABASE_URL: fresh });
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(message);
    expect(existsSync(fresh)).toBe(false);
  });

  it('refuses a loopback URL without ATENDER_WEBHOOKS_ALLOW_PRIVATE, and saves nothing', async () => {
    const res = await runCli(['webhooks', 'create', '--org', org, '--env', 'live', '--url', 'http://127.0.0.1:9/hook', '--events', 'article.published'], { ...env, ATENDER_WEBHOOKS_ALLOW_PRIVATE: '' });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/non-public address/);
    const list = await runCli(['webhooks', 'list', '--org', org, '--json'], env);
    expect(JSON.parse(list.stdout).data.filter((e: { url: string; environment: string }) => e.url === 'http://127.0.0.1:9/hook' && e.environment === 'production')).toEqual([]);
  });
});
