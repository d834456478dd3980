import type { Command } from 'commander';
import { listAudit } from '../store/audit-repo.js';
import { printJson, withRuntime } from './context.js';

export function adminCommands(program: Command): void {
  program
    .command('audit')
    .description("an org's key lifecycle audit log, newest first")
    .requiredOption('--org <org>', 'org id or slug')
    .option('--json', 'print JSON')
    .action(async (opts: { org: string; json?: boolean }) => {
      const entries = await withRuntime(async (rt) => listAudit(rt.store.db, (await rt.orgs.resolve(opts.org)).id, 1000));
      if (opts.json) return printJson({ data: entries });
      if (entries.length === 0) return void process.stdout.write('no audit entries\n');
      for (const e of entries) {
        const change = describeChange(e.before, e.after);
        process.stdout.write(`${e.created_at}  ${e.action.padEnd(22)} ${e.key_id ?? '-'}  by ${e.actor.type}:${e.actor.id ?? '-'}${e.source_ip ? ` from ${e.source_ip}` : ''}${change ? `  ${change}` : ''}\n`);
      }
    });

  program
    .command('admin')
    .description('org admins')
    .command('reset-password')
    .description("set a new random password for an org admin and print it once")
    .requiredOption('--org <org>', 'org id or slug')
    .requiredOption('--email <email>', "the admin's email")
    .action(async (opts: { org: string; email: string }) => {
      const password = await withRuntime(async (rt) => rt.orgs.resetPassword((await rt.orgs.resolve(opts.org)).id, opts.email));
      process.stdout.write(`New password for ${opts.email.trim().toLowerCase()}: ${password}\n`);
    });
}

/** `scopes: [a] → [a,b]; tier: free → premium`: the fields an entry changed, compactly. */
export function describeChange(before: unknown, after: unknown): string {
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  const fields = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  const show = (v: unknown) => (v === undefined ? '-' : JSON.stringify(v));
  return fields
    .filter((f) => show(b[f]) !== show(a[f]))
    .map((f) => (f in b ? `${f}: ${show(b[f])} → ${show(a[f])}` : `${f}: ${show(a[f])}`))
    .join('; ');
}
