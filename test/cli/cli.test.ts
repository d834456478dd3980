/** The `atender` command line end to end, through the real bin (SPEC section 7). Needs `npm run build`. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KEY_PATTERN } from '../../src/core/keys.js';
import { type CliResult, runCli } from '../helpers/cli.js';

// Real processes on a shared, busy machine: each CLI run costs a node start-up.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const FULL_KEY = /sa_(live|test)_[0-9A-Za-z]{46}/;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atender-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ok(result: CliResult): CliResult {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result;
}

/** `--json` prints exactly one JSON object on stdout. */
function json<T = Record<string, any>>(result: CliResult): T {
  ok(result);
  const value = JSON.parse(result.stdout) as T;
  expect(typeof value).toBe('object');
  return value;
}

function refused(result: CliResult) {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  const lines = result.stderr.split('\n').filter((l) => l.length > 0);
  expect(lines, result.stderr).toHaveLength(1);
  expect(result.stderr.endsWith('\n')).toBe(true);
  return lines[0]!;
}

describe('org create', () => {
  it('on a fresh database file (and directory) just works, with the exact --json shape', async () => {
    const env = { ATENDER_DATABASE_URL: join(dir, 'fresh', 'nested', 'a.db') };
    const out = json(await runCli(['org', 'create', 'Acme Support', '--json'], env));
    expect(Object.keys(out).sort()).toEqual(['admin', 'org', 'tenants']);
    expect(Object.keys(out.org).sort()).toEqual(['id', 'name', 'slug']);
    expect(out.org).toMatchObject({ name: 'Acme Support', slug: 'acme-support' });
    expect(out.org.id).toMatch(/^org_/);
    expect(Object.keys(out.tenants).sort()).toEqual(['production', 'sandbox']);
    expect(Object.keys(out.tenants.production)).toEqual(['id']);
    expect(Object.keys(out.tenants.sandbox)).toEqual(['id']);
    expect(out.tenants.production.id).not.toBe(out.tenants.sandbox.id);
    expect(Object.keys(out.admin).sort()).toEqual(['email', 'password']);
    expect(out.admin.password.length).toBeGreaterThanOrEqual(16);
    // The password is stored only as a memory-hard hash.
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(env.ATENDER_DATABASE_URL, { readonly: true });
    const { password_hash } = db.prepare('select password_hash from admins').get() as { password_hash: string };
    db.close();
    expect(password_hash).toMatch(/^\$argon2id\$/);
    expect(password_hash).not.toContain(out.admin.password);
    // The same name again gets its own slug.
    expect(json(await runCli(['org', 'create', 'Acme Support', '--json'], env)).org.slug).toBe('acme-support-2');
  });

  it('--max-tier and the text output', async () => {
    const env = { ATENDER_DATABASE_URL: join(dir, 'text.db') };
    const res = ok(await runCli(['org', 'create', 'Texty', '--max-tier', 'premium'], env));
    expect(res.stdout).toMatch(/Created org Texty \(org_\w+, slug texty\)/);
    expect(res.stdout).toMatch(/password\s+\S{16,}/);
  });
});

describe('keys', () => {
  let env: Record<string, string>;
  let org: { org: { id: string; slug: string } };
  beforeAll(async () => {
    env = { ATENDER_DATABASE_URL: join(dir, 'keys.db') };
    org = json(await runCli(['org', 'create', 'Keys Co', '--max-tier', 'enterprise', '--json'], env));
  });

  const create = (...extra: string[]) => runCli(['keys', 'create', '--org', org.org.slug, '--name', 'sync', '--scopes', 'knowledge:read,knowledge:write', ...extra], env);
  const countKeys = async () => (json(await runCli(['keys', 'list', '--org', org.org.id, '--json'], env)).data as unknown[]).length;

  it.each([
    ['live', 'production', 'sa_live_'],
    ['production', 'production', 'sa_live_'],
    ['test', 'sandbox', 'sa_test_'],
    ['sandbox', 'sandbox', 'sa_test_'],
  ])('create --env %s --json: the documented fields, environment %s', async (flag, environment, prefix) => {
    const out = json(await create('--env', flag, '--json'));
    expect(out).toMatchObject({ environment, scopes: ['knowledge:read', 'knowledge:write'], tier: 'standard', limits: { per_minute: 600, per_day: 100_000 } });
    expect(out.id).toMatch(/^key_[0-9a-z]{26}$/);
    expect(out.key).toMatch(KEY_PATTERN);
    expect(out.key.startsWith(prefix)).toBe(true);
  });

  it('create --tier, --per-minute, --per-day', async () => {
    expect(json(await create('--env', 'test', '--tier', 'premium', '--json'))).toMatchObject({ tier: 'premium', limits: { per_minute: 3000, per_day: 1_000_000 } });
    expect(json(await create('--env', 'test', '--tier', 'free', '--per-minute', '5000', '--per-day', '7', '--json'))).toMatchObject({ tier: 'free', limits: { per_minute: 5000, per_day: 7 } });
  });

  it('create without --json shows the key once, in text', async () => {
    const res = ok(await create('--env', 'test'));
    expect(res.stdout.match(new RegExp(FULL_KEY, 'g'))).toHaveLength(1);
    expect(res.stdout).toMatch(/shown once/);
  });

  it('list --json is {"data": [...]} with no secret; show, disable, enable, revoke', async () => {
    const created = json(await create('--env', 'live', '--json'));
    const list = json(await runCli(['keys', 'list', '--org', org.org.slug, '--json'], env));
    expect(Object.keys(list)).toEqual(['data']);
    expect(list.data.map((k: { id: string }) => k.id)).toContain(created.id);
    expect(JSON.stringify(list)).not.toMatch(FULL_KEY);
    for (const k of list.data) expect(['production', 'sandbox']).toContain(k.environment);
    expect(ok(await runCli(['keys', 'list', '--org', org.org.slug], env)).stdout).not.toMatch(FULL_KEY);

    const shown = json(await runCli(['keys', 'show', created.id, '--json'], env));
    expect(shown).toMatchObject({ id: created.id, status: 'active', environment: 'production' });
    expect(shown).not.toHaveProperty('key');
    expect(JSON.stringify(shown)).not.toContain(created.key);

    expect(json(await runCli(['keys', 'disable', created.id, '--json'], env))).toMatchObject({ id: created.id, status: 'disabled', active: false });
    expect(json(await runCli(['keys', 'enable', created.id, '--json'], env))).toMatchObject({ status: 'active', active: true });
    const revoked = json(await runCli(['keys', 'revoke', created.id, '--json'], env));
    expect(revoked).toMatchObject({ status: 'revoked' });
    expect(revoked.revoked_at).toEqual(expect.any(String));
    expect(ok(await runCli(['keys', 'show', created.id], env)).stdout).toMatch(/status\s+revoked/);
    // Permanent: enabling a revoked key is refused.
    expect(refused(await runCli(['keys', 'enable', created.id], env))).toMatch(/conflict/);
  });

  it('bad arguments: one line on stderr, exit 2, no key written', async () => {
    const before = await countKeys();
    const cases: [string[], RegExp][] = [
      [['keys', 'create', '--env', 'test', '--name', 'x', '--scopes', 'knowledge:read'], /--org/],
      [['keys', 'create', '--org', org.org.slug, '--env', 'prod', '--name', 'x', '--scopes', 'knowledge:read'], /--env/],
      [['keys', 'create', '--org', org.org.slug, '--env', 'test', '--name', 'x', '--scopes', 'knowledge:read,knowledge:admin'], /knowledge:admin/],
      [['keys', 'create', '--org', org.org.slug, '--env', 'test', '--name', 'x', '--scopes', 'knowledge:read', '--tier', 'gold'], /--tier/],
      [['keys', 'create', '--org', org.org.slug, '--env', 'test', '--name', 'x', '--scopes', 'knowledge:read', '--per-minute', '0'], /--per-minute/],
      [['keys', 'create', '--org', org.org.slug, '--env', 'test', '--name', 'x', '--scopes', 'knowledge:read', '--per-day', 'lots'], /--per-day/],
      [['keys', 'create', '--org', org.org.slug, '--env', 'test', '--name', '', '--scopes', 'knowledge:read'], /--name/],
      [['keys', 'create', '--org', org.org.slug, '--env', 'test', '--name', 'x'.repeat(201), '--scopes', 'knowledge:read'], /--name/],
      [['keys', 'create', '--org', org.org.slug, '--env', 'test', '--name', 'x', '--scopes', 'knowledge:read', '--expires-in', '5x'], /--expires-in/],
      [['keys', 'create', '--org', org.org.slug, '--env', 'test', '--name', 'x', '--scopes', 'knowledge:read', '--allow-ip', '10.0.0.0/99'], /--allow-ip/],
      [['keys', 'create', '--org', org.org.slug, '--env', 'test', '--name', 'x', '--scopes', 'knowledge:read', '--bogus'], /bogus/],
      [['keys', 'create', '--org', 'no-such-org', '--env', 'test', '--name', 'x', '--scopes', 'knowledge:read'], /no-such-org/],
      [['keys', 'frobnicate'], /frobnicate/],
      [['keys', 'disable', 'key_nope'], /key_nope/],
      [['keys', 'show'], /key_id/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args, env)));
    results.forEach((result, i) => expect(refused(result), cases[i]![0].join(' ')).toMatch(cases[i]![1]));
    expect(await countKeys()).toBe(before);
  });

  it('bad arguments never create the database file', async () => {
    const path = join(dir, 'never', 'created.db');
    const fresh = { ATENDER_DATABASE_URL: path };
    const results = await Promise.all([
      runCli(['org', 'create', 'X', '--max-tier', 'gold'], fresh),
      runCli(['org', 'create', '   '], fresh),
      runCli(['org', 'create'], fresh),
      runCli(['org', 'create', 'X', '--admin-email', 'not-an-email'], fresh),
      runCli(['keys', 'create', '--org', 'x', '--env', 'staging', '--name', 'x', '--scopes', 'knowledge:read'], fresh),
      runCli(['keys', 'create', '--org', 'x', '--env', 'test', '--name', 'x', '--scopes', 'nope'], fresh),
      runCli(['nonsense'], fresh),
    ]);
    for (const r of results) refused(r);
    expect(existsSync(path)).toBe(false);
  });
});
