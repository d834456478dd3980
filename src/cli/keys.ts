import type { Command } from 'commander';
import { parseCidr } from '../core/client-ip.js';
import { parseDuration } from '../core/durations.js';
import { environmentFromFlag } from '../core/keys.js';
import { isTier } from '../core/limits.js';
import { parseScopes } from '../core/scopes.js';
import { type KeyView, MAX_GRACE_MS } from '../services/keys.js';
import { UsageError, operator, positiveInt, printJson, withRuntime } from './context.js';
import { usageCommand } from './usage.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function describeKey(k: KeyView): string {
  const lines = [
    `${k.id}  ${k.name}`,
    `  environment  ${k.environment}`,
    `  status       ${k.status}`,
    `  hint         ${k.hint}`,
    `  scopes       ${k.scopes.join(', ') || '(none)'}`,
    `  tier         ${k.tier} (${k.limits.per_minute}/min, ${k.limits.per_day}/day)`,
    `  created      ${k.created_at}`,
    `  last used    ${k.last_used_at ?? 'never'}`,
  ];
  if (k.expires_at) lines.push(`  expires      ${k.expires_at}`);
  if (k.allowed_ips.length) lines.push(`  allowed IPs  ${k.allowed_ips.join(', ')}`);
  if (k.secrets.length > 1) {
    for (const s of k.secrets) lines.push(`  secret ${s.hint}  ${s.live ? 'live' : 'retired'}${s.retires_at ? ` (grace until ${s.retires_at})` : ''}, last used ${s.last_used_at ?? 'never'}`);
  }
  return `${lines.join('\n')}\n`;
}

function output(view: KeyView, json: boolean | undefined): void {
  if (json) printJson(view);
  else process.stdout.write(describeKey(view));
}

function printCreated(created: KeyView & { key: string }, json: boolean | undefined, verb: string): void {
  if (json) return printJson(created);
  process.stdout.write(`${describeKey(created)}\n${verb} key (shown once; store it now):\n  ${created.key}\n`);
}

export function keyCommands(program: Command): void {
  const keys = program.command('keys').description('API keys');

  keys
    .command('create')
    .description('create a key; prints the full key once')
    .requiredOption('--org <org>', 'org id or slug')
    .requiredOption('--env <env>', 'live|test (or production|sandbox)')
    .requiredOption('--name <name>', 'a name, 1-200 characters')
    .requiredOption('--scopes <scopes>', 'comma-separated scopes')
    .option('--tier <tier>', 'free|standard|premium|enterprise', 'standard')
    .option('--per-minute <n>', 'override the per-minute limit', positiveInt('--per-minute'))
    .option('--per-day <n>', 'override the per-day limit', positiveInt('--per-day'))
    .option('--expires-in <duration>', 'e.g. 90d, 12h')
    .option('--allow-ip <cidr>', 'allow only this address or CIDR (repeat for more)', collect)
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; env: string; name: string; scopes: string; tier: string; perMinute?: number; perDay?: number; expiresIn?: string; allowIp?: string[]; json?: boolean }) => {
      const environment = environmentFromFlag(opts.env);
      if (!environment) throw new UsageError(`--env must be live or test (or production, sandbox), got "${opts.env}"`);
      const scopes = parseScopes(opts.scopes.split(','));
      if ('unknown' in scopes) throw new UsageError(`unknown scope(s): ${scopes.unknown.join(', ')}`);
      if (!isTier(opts.tier)) throw new UsageError(`--tier must be free, standard, premium or enterprise, got "${opts.tier}"`);
      const name = opts.name.trim();
      if (name.length < 1 || name.length > 200) throw new UsageError('--name must be 1-200 characters');
      let expiresInMs: number | null = null;
      if (opts.expiresIn !== undefined) {
        expiresInMs = parseDuration(opts.expiresIn);
        if (!expiresInMs) throw new UsageError(`--expires-in must be a duration like 90d or 12h, got "${opts.expiresIn}"`);
      }
      for (const cidr of opts.allowIp ?? []) if (!parseCidr(cidr)) throw new UsageError(`--allow-ip: not an IP address or CIDR: "${cidr}"`);
      const created = await withRuntime(async (rt) => {
        const org = await rt.orgs.resolve(opts.org);
        return rt.keys.create(
          {
            orgId: org.id,
            environment,
            name,
            scopes: scopes.scopes,
            tier: opts.tier,
            perMinute: opts.perMinute ?? null,
            perDay: opts.perDay ?? null,
            expiresAt: expiresInMs === null ? null : rt.clock.now() + expiresInMs,
            allowedIps: opts.allowIp ?? [],
          },
          operator(),
        );
      });
      printCreated(created, opts.json, 'Created');
    });

  keys
    .command('list')
    .description("list an org's keys (no secrets)")
    .requiredOption('--org <org>', 'org id or slug')
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; json?: boolean }) => {
      const list = await withRuntime(async (rt) => rt.keys.list((await rt.orgs.resolve(opts.org)).id));
      if (opts.json) return printJson({ data: list });
      if (list.length === 0) return void process.stdout.write('no keys\n');
      for (const k of list) process.stdout.write(`${k.id}  ${k.environment.padEnd(10)} ${k.status.padEnd(8)} ${k.hint}  last used ${k.last_used_at ?? 'never'}  ${k.name}\n`);
    });

  keys
    .command('show <key_id>')
    .option('--json', 'print JSON')
    .action(async (keyId: string, opts: { json?: boolean }) => output(await withRuntime((rt) => rt.keys.require(keyId)), opts.json));

  for (const [verb, active] of [['disable', false], ['enable', true]] as const) {
    keys
      .command(`${verb} <key_id>`)
      .description(`${verb} a key (reversible)`)
      .option('--json', 'print JSON')
      .action(async (keyId: string, opts: { json?: boolean }) => output(await withRuntime((rt) => rt.keys.update(keyId, { active }, operator())), opts.json));
  }

  keys
    .command('revoke <key_id>')
    .description('revoke a key (permanent)')
    .option('--json', 'print JSON')
    .action(async (keyId: string, opts: { json?: boolean }) => output(await withRuntime((rt) => rt.keys.revoke(keyId, operator())), opts.json));

  keys
    .command('rotate <key_id>')
    .description('replace the secret; the old one keeps working for --grace (default 0)')
    .option('--grace <duration>', 'how long the old secret keeps working, at most 7d', '0s')
    .option('--json', 'print JSON')
    .action(async (keyId: string, opts: { grace: string; json?: boolean }) => {
      const grace = opts.grace === '0' ? 0 : parseDuration(opts.grace);
      if (grace === null || grace > MAX_GRACE_MS) throw new UsageError(`--grace must be a duration up to 7d, like 24h, got "${opts.grace}"`);
      printCreated(await withRuntime((rt) => rt.keys.rotate(keyId, grace, operator())), opts.json, 'New');
    });

  keys
    .command('end-grace <key_id>')
    .description('end a rotation grace now: the old secret stops working')
    .option('--json', 'print JSON')
    .action(async (keyId: string, opts: { json?: boolean }) => output(await withRuntime((rt) => rt.keys.endGrace(keyId, operator())), opts.json));

  usageCommand(keys);
}
