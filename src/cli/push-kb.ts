/** Registers `atender push-kb`; the sync itself (SDK, YAML, schemas) loads only when the command runs. */
import type { Command } from 'commander';
import { UsageError } from './context.js';

export const MAX_CONCURRENCY = 32;

export function pushKbCommand(program: Command): void {
  program
    .command('push-kb <dir>')
    .description('sync a folder of Markdown files into the knowledge base (uses ATENDER_API_KEY and ATENDER_API_URL)')
    .option('--dry-run', 'print the plan and stop')
    .option('--prune', 'delete articles an earlier push-kb created whose file is gone')
    .option('--yes', 'allow writing with a production (sa_live_) key')
    .option('--concurrency <n>', `requests in flight, 1-${MAX_CONCURRENCY} (default 4)`, (v: string) => {
      if (!/^\d{1,3}$/.test(v) || Number(v) < 1 || Number(v) > MAX_CONCURRENCY) throw new UsageError(`--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, got "${v}"`);
      return Number(v);
    })
    .action(async (dir: string, opts: { dryRun?: boolean; prune?: boolean; yes?: boolean; concurrency?: number }) => {
      const { runPushKbCommand } = await import('./push-kb-run.js');
      await runPushKbCommand({ dir, ...opts });
    });
}
