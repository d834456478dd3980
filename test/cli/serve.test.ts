/**
 * The newcomer's first minutes (`npm start` = `atender serve`): a fresh database
 * gets a demo org and a banner with keys and a curl line that works; a restart
 * prints no banner; the structured log never holds a full key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateKey } from '../../src/core/keys.js';
import { runCli } from '../helpers/cli.js';
import { type ServerProcess, startServer } from '../helpers/server-process.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const FULL_KEY = /sa_(live|test)_[0-9A-Za-z]{46}/;

async function waitFor<T>(what: string, probe: () => T | null | Promise<T | null>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Banner {
  sandboxKey: string;
  productionKey: string;
  curlKey: string;
  curlUrl: string;
  adminEmail: string;
  adminPassword: string;
  lines: string[];
}

function parseBanner(output: string): Banner | null {
  const sandbox = /Sandbox key\s+(sa_test_\S+)/.exec(output);
  const production = /Production key\s+(sa_live_\S+)/.exec(output);
  const curl = /curl -H "Authorization: Bearer (\S+)" (\S+)/.exec(output);
  const admin = /Admin sign-in\s+(\S+)\s+\/\s+(\S+)/.exec(output);
  if (!sandbox || !production || !curl || !admin) return null;
  return {
    sandboxKey: sandbox[1]!,
    productionKey: production[1]!,
    curlKey: curl[1]!,
    curlUrl: curl[2]!,
    adminEmail: admin[1]!,
    adminPassword: admin[2]!,
    lines: [sandbox[0], production[0], curl[0]],
  };
}

describe('npm start on a fresh database', () => {
  let dir: string;
  let env: Record<string, string>;
  let server: ServerProcess;
  let banner: Banner;
  const get = (key: string, url: string) => fetch(url, { headers: { authorization: `Bearer ${key}` } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atender-start-'));
    env = { ATENDER_DATABASE_URL: join(dir, 'data', 'atender.db'), ATENDER_LOG_LEVEL: 'debug' };
    server = await startServer(env);
    banner = await waitFor('the banner', () => parseBanner(server.output()));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints a banner whose curl line works as printed', async () => {
    expect(banner.curlKey).toBe(banner.sandboxKey);
    expect(banner.curlUrl).toBe(`${server.url}/v1/me`);
    expect(banner.sandboxKey).toMatch(FULL_KEY);
    expect(banner.productionKey).toMatch(FULL_KEY);
    expect(banner.adminPassword.length).toBeGreaterThanOrEqual(16);
    const res = await get(banner.curlKey, banner.curlUrl);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ environment: 'sandbox', tenant: { environment: 'sandbox' } });
  });

  it('the production key sees the production tenant, and only it', async () => {
    const live = (await (await get(banner.productionKey, `${server.url}/v1/me`)).json()) as { environment: string; tenant: { id: string; org_id: string } };
    const test = (await (await get(banner.sandboxKey, `${server.url}/v1/me`)).json()) as { tenant: { id: string; org_id: string } };
    expect(live.environment).toBe('production');
    expect(live.tenant.org_id).toBe(test.tenant.org_id);
    expect(live.tenant.id).not.toBe(test.tenant.id);
    const created = await fetch(`${server.url}/v1/knowledge/articles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${banner.productionKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Live article', body: 'x' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect((await get(banner.productionKey, `${server.url}/v1/knowledge/articles/${id}`)).status).toBe(200);
    expect((await get(banner.sandboxKey, `${server.url}/v1/knowledge/articles/${id}`)).status).toBe(404);
  });

  it('no full key in the structured log, after valid, malformed, unknown and revoked keys', async () => {
    const unknown = generateKey('sandbox');
    const extra = JSON.parse((await runCli(['keys', 'create', '--org', 'demo', '--env', 'live', '--name', 'to-revoke', '--scopes', '', '--json'], env)).stdout) as { id: string; key: string };
    expect((await get(extra.key, `${server.url}/v1/me`)).status).toBe(200);
    expect((await runCli(['keys', 'revoke', extra.id], env)).code).toBe(0);
    await waitFor('the revocation', async () => ((await get(extra.key, `${server.url}/v1/me`)).status === 401 ? true : null), 5_000);
    for (const key of [banner.sandboxKey, `${banner.sandboxKey.slice(0, -1)}x`, unknown, 'sa_live_short', extra.key]) {
      await get(key, `${server.url}/v1/me`);
      await get(key, `${server.url}/v1/knowledge/articles/missing`);
      await get(key, `${server.url}/v1/no-such-route`);
    }
    await fetch(`${server.url}/v1/me`, { headers: { authorization: unknown } }); // no scheme at all

    const output = server.output();
    const lines = output.split('\n');
    const jsonLines = lines.filter((l) => l.startsWith('{'));
    // The debug level logs one access line per request: the log is really there.
    expect(jsonLines.filter((l) => l.includes('"request"')).length).toBeGreaterThan(10);
    expect(jsonLines.some((l) => l.includes(extra.id))).toBe(true);
    for (const line of jsonLines) expect(line).not.toMatch(FULL_KEY);
    const leaking = lines.filter((l) => FULL_KEY.test(l) && !banner.lines.some((b) => l.includes(b)));
    expect(leaking).toEqual([]);
    for (const secret of [unknown, extra.key, extra.key.slice(8, 48)]) expect(output).not.toContain(secret);
  });

  it('a restart on the same database prints no banner and creates no org', async () => {
    await server.stop();
    server = await startServer(env);
    const res = await get(banner.sandboxKey, `${server.url}/v1/me`);
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(server.output()).not.toMatch(/Sandbox key|Production key|curl /);
    expect(server.output()).not.toMatch(FULL_KEY);
    const orgs = await runCli(['keys', 'list', '--org', 'demo-2', '--json'], env);
    expect(orgs.code).toBe(2); // no second demo org
  });
});
