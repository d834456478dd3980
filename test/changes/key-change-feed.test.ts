/**
 * A change made by another writer of the database (the CLI, another node) reaches
 * a serving process through the change feed, without a restart and without a
 * per-request read (SPEC section 4: within 1 second).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { keyChecksum } from '../../src/core/keys.js';
import { type Runtime, openRuntime } from '../../src/runtime.js';
import { OPERATOR } from '../../src/store/audit-repo.js';
import { type TestApp, startTestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { type ServerProcess, startServer } from '../helpers/server-process.js';

// Real processes on a shared, busy machine: each CLI run costs a node start-up.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const me = { method: 'GET', url: '/v1/me' } as const;

describe('change feed: another connection to the same database', () => {
  let t: TestApp;
  let other: Runtime;
  beforeAll(async () => {
    t = await startTestApp();
    other = await openRuntime({ ...t.runtime.config });
  });
  afterAll(async () => {
    await other.close();
    await t.close();
  });

  it('a disable, enable and revoke written elsewhere invalidate the cached record', async () => {
    const key = await t.key();
    await t.runtime.feed.poll(); // the creation notice (NOTIFY on PostgreSQL) is consumed before counting reads
    expect((await t.request(key.key, me)).statusCode).toBe(200);
    const reads = t.runtime.verifier.stats.lookups;

    await other.keys.update(key.id, { active: false }, OPERATOR);
    await t.runtime.feed.poll();
    expect((await t.request(key.key, me)).json().code).toBe('api_key_disabled');

    await other.keys.update(key.id, { active: true }, OPERATOR);
    await t.runtime.feed.poll();
    expect((await t.request(key.key, me)).statusCode).toBe(200);

    await other.keys.revoke(key.id, OPERATOR);
    await t.runtime.feed.poll();
    expect((await t.request(key.key, me)).json().code).toBe('api_key_revoked');
    // One read per change, none per request.
    expect(t.runtime.verifier.stats.lookups).toBe(reads + 3);
  });

  it('a scope change written elsewhere takes effect', async () => {
    const key = await t.key({ scopes: [] });
    const list = { method: 'GET', url: '/v1/knowledge/articles' } as const;
    expect((await t.request(key.key, list)).json().code).toBe('insufficient_scope');
    await other.keys.update(key.id, { scopes: ['knowledge:read'] }, OPERATOR);
    await t.runtime.feed.poll();
    expect((await t.request(key.key, list)).statusCode).toBe(200);
  });

  it('without a poll, a healthy feed keeps serving the cached record (no per-request read)', async () => {
    const key = await t.key();
    // On PostgreSQL the key's creation notice also arrives by NOTIFY, at any moment: consume it first.
    await t.runtime.feed.poll();
    await t.request(key.key, me);
    const reads = t.runtime.verifier.stats.lookups;
    for (let i = 0; i < 20; i++) await t.request(key.key, me);
    expect(t.runtime.verifier.stats.lookups).toBe(reads);
  });
});

describe('end to end: the CLI changes keys while `atender serve` runs', () => {
  let dir: string;
  let env: Record<string, string>;
  let server: ServerProcess;
  let orgSlug: string;

  const cli = async (args: string[], extraEnv: Record<string, string> = {}) => {
    const result = await runCli(args, { ...env, ...extraEnv });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return { ...result, exitedAt: Date.now() };
  };
  const status = async (key: string) => {
    const res = await fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${key}` } });
    const body = (await res.json()) as { code?: string };
    return { status: res.status, code: body.code ?? null };
  };
  /** Polls until `want` holds or the deadline passes; returns when it held (ms after `since`), or null. */
  const within = async (key: string, since: number, want: (s: { status: number; code: string | null }) => boolean, budgetMs = 1_500) => {
    for (;;) {
      const s = await status(key);
      const at = Date.now();
      if (want(s)) return at - since;
      if (at - since > budgetMs) return null;
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atender-feed-'));
    env = { ATENDER_DATABASE_URL: join(dir, 'atender.db') };
    const org = JSON.parse((await cli(['org', 'create', 'Feed Co', '--json'])).stdout) as { org: { slug: string } };
    orgSlug = org.org.slug;
    server = await startServer({ ...env, ATENDER_LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const createKey = async () =>
    JSON.parse((await cli(['keys', 'create', '--org', orgSlug, '--env', 'test', '--name', 'e2e', '--scopes', 'knowledge:read', '--json'])).stdout) as { id: string; key: string };

  it('disable, enable and revoke from the CLI are obeyed by the running server within 1 s', async () => {
    const key = await createKey();
    expect(await status(key.key)).toEqual({ status: 200, code: null });

    const disabled = await cli(['keys', 'disable', key.id]);
    expect(await within(key.key, disabled.exitedAt, (s) => s.code === 'api_key_disabled')).not.toBeNull();

    const enabled = await cli(['keys', 'enable', key.id]);
    expect(await within(key.key, enabled.exitedAt, (s) => s.status === 200)).not.toBeNull();

    const revoked = await cli(['keys', 'revoke', key.id]);
    expect(await within(key.key, revoked.exitedAt, (s) => s.code === 'api_key_revoked')).not.toBeNull();
    // And it stays refused.
    expect(await status(key.key)).toEqual({ status: 401, code: 'api_key_revoked' });
  });

  it('a key the server has cached as unknown becomes valid once the CLI creates it', async () => {
    // With the preloaded fixed RNG the CLI generates exactly this key.
    const body = `sa_test_${'7'.repeat(40)}`;
    const expected = body + keyChecksum(body);
    expect(await status(expected)).toEqual({ status: 401, code: 'invalid_api_key' });
    expect(await status(expected)).toEqual({ status: 401, code: 'invalid_api_key' });

    const preload = fileURLToPath(new URL('../helpers/fixed-key-rng.mjs', import.meta.url));
    const created = await cli(['keys', 'create', '--org', orgSlug, '--env', 'test', '--name', 'guessed', '--scopes', '', '--json'], {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${preload}`.trim(),
    });
    expect((JSON.parse(created.stdout) as { key: string }).key).toBe(expected);
    expect(await within(expected, created.exitedAt, (s) => s.status === 200)).not.toBeNull();
  });
});

