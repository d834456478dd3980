/**
 * A private redis-server on a free port, for tests that pause or kill Redis
 * (the shared one on 6379 must never be paused or stopped).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './server-process.js';
import { SERVICES_REQUIRED } from './services.js';

export interface OwnRedis {
  url: string;
  port: number;
  /** An admin connection (for CLIENT PAUSE and the like). */
  admin: Redis;
  kill(): Promise<void>;
  /** Starts it again on the same port after kill(). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Whether a private redis-server can be started: a loud skip on a laptop without one, a failure in CI. */
export async function requireRedisServerBinary(): Promise<boolean> {
  if (await redisServerInstalled()) return true;
  if (SERVICES_REQUIRED) throw new Error('redis-server is not installed; ATENDER_REQUIRE_SERVICES=1 makes this a failure');
  console.warn('\n  !!! SKIPPING TESTS THAT NEED THEIR OWN redis-server: not installed. CI runs them.\n');
  return false;
}

function redisServerInstalled(): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('redis-server', ['--version'], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const launch = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const kill = () =>
    new Promise<void>((resolve) => {
      const c = child;
      if (!c || c.exitCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  await launch();
  const admin = new Redis({ port, host: '127.0.0.1' });
  admin.on('error', () => {});
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    admin,
    kill,
    restart: launch,
    async close() {
      admin.disconnect();
      await kill();
    },
  };
}
