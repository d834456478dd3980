// Measures `atender push-kb` syncing N generated articles (default 1,000) into a
// fresh local server with a standard-tier key (600/min): wall time and requests
// sent, for the first sync and for a second run with nothing changed.
//   npm run build && node bench/push-kb-sync.mjs [count]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const count = Number(process.argv[2] ?? 1000);
const bin = fileURLToPath(new URL('../bin/atender.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'push-kb-bench-'));
const env = { ...process.env, ATENDER_DATABASE_URL: join(work, 'bench.db'), ATENDER_LOG_LEVEL: 'warn' };

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
    s.close(() => resolve(port));
  });
});
const cli = (args) => {
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`atender ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
cli(['org', 'create', 'Bench', '--json']);
const { key, tier, limits } = JSON.parse(cli(['keys', 'create', '--org', 'bench', '--env', 'test', '--name', 'kb-sync', '--scopes', 'knowledge:read,knowledge:write', '--tier', 'standard', '--json']));
const server = spawn(process.execPath, [bin, 'serve', '--no-seed'], { env: { ...env, PORT: String(port) }, stdio: 'ignore' });
const url = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${url}/healthz`)).ok) break;
  } catch {}
  if (i > 200) throw new Error('server did not start');
  await new Promise((r) => setTimeout(r, 100));
}

const docs = join(work, 'docs');
for (let i = 0; i < count; i++) {
  const file = join(docs, `section-${i % 20}`, `article-${i}.md`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `---\ntitle: Article ${i}\ncollection: section-${i % 20}\nstatus: published\n---\n# Article ${i}\n\n${'Lorem ipsum dolor sit amet. '.repeat(20)}\n`);
}

function push() {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bin, 'push-kb', docs], { env: { ...env, ATENDER_API_KEY: key, ATENDER_API_URL: url }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const summary = (r.stdout.match(/^(done: .*|nothing to do.*)$/m) ?? ['?'])[0];
  return { exit: r.status, seconds: seconds.toFixed(1), summary, stderr: r.stderr.trim() };
}

console.log(`${count} articles, ${tier} key (${limits.per_minute}/min), concurrency 4, SQLite, one local node`);
console.log('first sync :', push());
console.log('second run :', push());
server.kill();
rmSync(work, { recursive: true, force: true });
