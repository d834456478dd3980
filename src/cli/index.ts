/** The `atender` command line. Bad arguments: one line on stderr, exit 2, nothing written. */
import { Command, CommanderError } from 'commander';
import { adminCommands } from './admin.js';
import { exitCodeFor } from './context.js';
import { keyCommands } from './keys.js';
import { orgCommands } from './org.js';
import { pushKbCommand } from './push-kb.js';
import { serveCommand } from './serve.js';
import { webhookCommands } from './webhooks.js';

export function buildProgram(): Command {
  const program = new Command('atender')
    .description('Atender tenant API server and operator tools')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(`atender: ${text.replace(/^error: /, '').trim().split('\n')[0]}\n`) });
  serveCommand(program);
  orgCommands(program);
  keyCommands(program);
  adminCommands(program);
  pushKbCommand(program);
  webhookCommands(program);
  // Sub-commands inherit the exit override and the one-line error output.
  const inherit = (cmd: Command) => {
    for (const sub of cmd.commands) {
      sub.exitOverride().configureOutput(program.configureOutput());
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; everything else commander refuses is a usage error.
      process.exit(error.exitCode === 0 ? 0 : 2);
    }
    const { code, message } = exitCodeFor(error);
    process.stderr.write(`atender: ${message}\n`);
    process.exit(code);
  }
}
