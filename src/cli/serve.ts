/** `atender serve`: migrate, seed a demo org into an empty database, serve, shut down gracefully. */
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import type { ServingRuntime } from '../runtime.js';
import { ALL_SCOPES } from '../core/scopes.js';
import { OPERATOR } from '../store/audit-repo.js';

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('migrate the database if needed, then serve the API and dashboard')
    .option('--no-seed', 'do not create the demo org in an empty database')
    .action(async (opts: { seed: boolean }) => {
      await serve({ seed: opts.seed });
    });
}

export async function serve(options: { seed: boolean }): Promise<void> {
  // Loaded here, not at the top: the other commands should not pay for the web stack.
  const [{ buildApp }, { openServingRuntime }] = await Promise.all([import('../http/app.js'), import('../runtime.js')]);
  const config = loadConfig();
  const runtime = await openServingRuntime(config);
  const banner = options.seed ? await seedDemo(runtime) : null;
  const app = await buildApp(runtime);
  const address = await app.listen({ port: config.port, host: config.host });
  runtime.dispatcher.log = app.log;
  runtime.dispatcher.start();
  if (banner) process.stdout.write(banner(address));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests and flushing buffers');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    try {
      await app.close();
      await runtime.close();
    } finally {
      clearTimeout(force);
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** Creates the demo org only when the database has no org at all; returns the banner to print. */
async function seedDemo(runtime: ServingRuntime): Promise<((address: string) => string) | null> {
  if ((await runtime.orgs.count()) > 0) return null;
  const demo = await runtime.orgs.create('Demo', { maxTier: 'enterprise' });
  const sandbox = await runtime.keys.create({ orgId: demo.org.id, environment: 'sandbox', name: 'Demo sandbox key', scopes: ALL_SCOPES }, OPERATOR);
  const production = await runtime.keys.create({ orgId: demo.org.id, environment: 'production', name: 'Demo production key', scopes: ALL_SCOPES }, OPERATOR);
  return (address) =>
    [
      '',
      '  Atender is running with a demo org (printed once; not stored anywhere in plain text).',
      '',
      `  Dashboard        ${address}/`,
      `  API reference    ${address}/docs`,
      `  Admin sign-in    ${demo.admin.email}  /  ${demo.admin.password}`,
      `  Sandbox key      ${sandbox.key}`,
      `  Production key   ${production.key}`,
      '',
      '  Try it:',
      `    curl -H "Authorization: Bearer ${sandbox.key}" ${address}/v1/me`,
      '',
      `  More keys: npx atender keys create --org ${demo.org.slug} --env test --name my-script --scopes knowledge:read,knowledge:write`,
      '',
    ].join('\n');
}
