// A serving node for bench/usage-recording.js: the real app over the real runtime,
// with usage recording switched off when BENCH_USAGE=off (a sink that does nothing).
import { loadConfig } from '../dist/config.js';
import { buildApp } from '../dist/http/app.js';
import { openServingRuntime } from '../dist/runtime.js';

const config = { ...loadConfig(), logLevel: 'silent' };
const runtime = await openServingRuntime(config);
if (process.env.BENCH_USAGE === 'off') runtime.usage = { record() {}, stats: runtime.usage.stats };
const app = await buildApp(runtime, { logger: false });
await app.listen({ port: config.port, host: '127.0.0.1' });
process.send?.('ready');
// CPU time of the whole process (all threads), after writing what is buffered, for CPU per request.
process.on('message', async (message) => {
  if (message !== 'cpu') return;
  if (process.env.BENCH_USAGE !== 'off') await runtime.usage.flush();
  const { user, system } = process.cpuUsage();
  process.send({ cpuMicros: user + system });
});
process.on('SIGTERM', async () => {
  await app.close();
  await runtime.close();
  process.exit(0);
});
