import type { Command } from 'commander';
import { checkOrgInput } from '../services/orgs.js';
import { printJson, withRuntime } from './context.js';

export function orgCommands(program: Command): void {
  const org = program.command('org').description('organisations and their tenants');
  org
    .command('create <name>')
    .description('create an org with a production and a sandbox tenant and a first admin')
    .option('--max-tier <tier>', 'highest tier its admins may choose', 'standard')
    .option('--admin-email <email>', 'email of the first admin (default admin@<slug>.example)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { maxTier: string; adminEmail?: string; json?: boolean }) => {
      // Refuse bad arguments before the database is opened (and so created).
      checkOrgInput(name, { maxTier: opts.maxTier, adminEmail: opts.adminEmail });
      const created = await withRuntime((rt) => rt.orgs.create(name, { maxTier: opts.maxTier, adminEmail: opts.adminEmail }));
      if (opts.json) return printJson(created);
      process.stdout.write(
        [
          `Created org ${created.org.name} (${created.org.id}, slug ${created.org.slug})`,
          `  production tenant ${created.tenants.production.id}`,
          `  sandbox tenant    ${created.tenants.sandbox.id}`,
          `  admin             ${created.admin.email}`,
          `  password          ${created.admin.password}   (shown once)`,
          '',
        ].join('\n'),
      );
    });
}
