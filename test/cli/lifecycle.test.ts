/**
 * The operator's view of the key lifecycle through the real `atender` bin
 * (`npm run build` first): expiry, rotation, end-grace, per-secret last use,
 * usage and the audit log; refusals exit 2 with one line on stderr.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { openServingRuntime } from '../../src/runtime.js';
import { type CliResult, runCli } from '../helpers/cli.js';

const DAY = 86_400_000;

describe('atender keys lifecycle, usage and audit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atender-cli-lifecycle-'));
  const env = { ATENDER_DATABASE_URL: join(dir, 'cli.db') };
  const cli = (...args: string[]) => runCli(args, env);
  const json = (r: CliResult) => {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout);
  };
  const refused = (r: CliResult, pattern: RegExp) => {
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
  };
  /** Sends requests with each secret through the real app on the same database, then writes their usage. */
  const use = async (requests: [secret: string, url: string][]) => {
    const runtime = await openServingRuntime({ ...loadConfig({}), ...{ databaseUrl: env.ATENDER_DATABASE_URL, logLevel: 'silent' } });
    const app = await buildApp(runtime, { logger: false });
    try {
      for (const [secret, url] of requests) await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${secret}` } });
    } finally {
      await app.close();
      await runtime.close(); // flushes usage
    }
  };
  let keyId: string;
  let firstSecret: string;
  let secondSecret: string;

  beforeAll(async () => {
    json(await cli('org', 'create', 'Acme', '--max-tier', 'premium', '--json'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keys create --expires-in and --allow-ip (repeated, IPv4 and IPv6) set expiry and allowlist', async () => {
    const before = Date.now();
    const created = json(await cli('keys', 'create', '--org', 'acme', '--env', 'test', '--name', 'cli', '--scopes', 'knowledge:read,contacts:read', '--expires-in', '90d', '--allow-ip', '127.0.0.0/8', '--allow-ip', '::1/128', '--json'));
    keyId = created.id;
    firstSecret = created.key;
    const expiresAt = Date.parse(created.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 90 * DAY);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 90 * DAY);
    expect(created.allowed_ips).toEqual(['127.0.0.0/8', '::1/128']);
    expect(created.status).toBe('active');
  });

  it('refuses a bad --expires-in or --allow-ip with exit 2 and writes nothing', async () => {
    refused(await cli('keys', 'create', '--org', 'acme', '--env', 'test', '--name', 'x', '--scopes', 'knowledge:read', '--expires-in', '5x'), /--expires-in/);
    refused(await cli('keys', 'create', '--org', 'acme', '--env', 'test', '--name', 'x', '--scopes', 'knowledge:read', '--allow-ip', '10.0.0.0/33'), /--allow-ip/);
    expect(json(await cli('keys', 'list', '--org', 'acme', '--json')).data).toHaveLength(1);
  });

  it('keys rotate refuses a grace over 7 days; with --grace 1h both secrets work and show shows each one', async () => {
    refused(await cli('keys', 'rotate', keyId, '--grace', '8d'), /--grace/);
    const rotated = json(await cli('keys', 'rotate', keyId, '--grace', '1h', '--json'));
    expect(rotated).toMatchObject({ id: keyId, scopes: ['contacts:read', 'knowledge:read'], environment: 'sandbox' });
    secondSecret = rotated.key;
    expect(secondSecret).not.toBe(firstSecret);
    await use([
      [firstSecret, '/v1/me'],
      [secondSecret, '/v1/me'],
      [secondSecret, '/v1/knowledge/articles'],
    ]);
    const shown = json(await cli('keys', 'show', keyId, '--json'));
    expect(shown.secrets.map((s: { live: boolean }) => s.live)).toEqual([true, true]);
    for (const s of shown.secrets) expect(s.last_used_at).not.toBeNull();
    const human = await cli('keys', 'show', keyId);
    const secretLines = human.stdout.split('\n').filter((l) => l.trim().startsWith('secret '));
    expect(secretLines).toHaveLength(2);
    expect(secretLines[1]).toMatch(/live \(grace until .+\), last used \d{4}-\d\d-\d\dT/);
    expect(secretLines[0]).toMatch(/live, last used \d{4}-\d\d-\d\dT/);
  });

  it('keys end-grace stops the old secret; keys usage reports the history of both secrets', async () => {
    const ended = json(await cli('keys', 'end-grace', keyId, '--json'));
    expect(ended.secrets.filter((s: { live: boolean }) => s.live)).toHaveLength(1);
    const usage = json(await cli('keys', 'usage', keyId, '--since', '1h', '--json'));
    expect(Object.keys(usage)).toEqual(['key_id', 'since', 'total', 'by_status', 'rate_limited', 'routes', 'series', 'unused_scopes']);
    expect(Object.keys(usage.series[0])).toEqual(['t', 'count']);
    expect(usage).toMatchObject({ key_id: keyId, total: 3, by_status: { '2xx': 3, '3xx': 0, '4xx': 0, '5xx': 0 }, rate_limited: 0, unused_scopes: ['contacts:read'] });
    expect(usage.routes).toEqual([
      { route: 'GET /v1/me', count: 2 },
      { route: 'GET /v1/knowledge/articles', count: 1 },
    ]);
    expect(usage.series.reduce((a: number, p: { count: number }) => a + p.count, 0)).toBe(3);
    const human = await cli('keys', 'usage', keyId);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/requests\s+3 {3}2xx 3/);
    expect(human.stdout).toMatch(/2 {2}GET \/v1\/me/);
    expect(human.stdout).toMatch(/unused scopes\s+contacts:read/);
    refused(await cli('keys', 'usage', keyId, '--since', 'yesterday'), /--since/);
    refused(await cli('keys', 'usage', 'key_doesnotexist00000000000000'), /not_found/);
  });

  it('disable, enable and revoke change the status; rotating a revoked key exits 2 with conflict', async () => {
    expect(json(await cli('keys', 'disable', keyId, '--json')).status).toBe('disabled');
    expect(json(await cli('keys', 'enable', keyId, '--json')).status).toBe('active');
    expect(json(await cli('keys', 'revoke', keyId, '--json')).status).toBe('revoked');
    refused(await cli('keys', 'rotate', keyId), /^atender: conflict: /);
    refused(await cli('keys', 'end-grace', 'key_doesnotexist00000000000000'), /not_found/);
  });

  it('audit --org lists every lifecycle event, newest first, with the operator and the change', async () => {
    const { data } = json(await cli('audit', '--org', 'acme', '--json'));
    expect(data.map((e: { action: string }) => e.action)).toEqual(['api_key.revoked', 'api_key.enabled', 'api_key.disabled', 'api_key.grace_ended', 'api_key.rotated', 'api_key.created']);
    for (const e of data) expect(e).toMatchObject({ key_id: keyId, actor: { type: 'operator', id: expect.stringMatching(/^cli:/) } });
    expect(data[2]).toMatchObject({ before: { active: true }, after: { active: false } });
    const human = await cli('audit', '--org', 'acme');
    const lines = human.stdout.trim().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[2]).toMatch(/api_key\.disabled .*by operator:cli:.*active: true → false/);
    refused(await cli('audit', '--org', 'nope'), /not_found/);
  });
});
