/**
 * An in-process server over a fresh database: the real app, the real pipeline,
 * the real store; requests go through Fastify's inject (no socket) or, with
 * `listen`, over loopback HTTP.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { type Config, loadConfig } from '../../src/config.js';
import { type Clock, ManualClock } from '../../src/core/clock.js';
import type { Environment } from '../../src/core/keys.js';
import type { Scope } from '../../src/core/scopes.js';
import { buildApp } from '../../src/http/app.js';
import { type ServingRuntime, openServingRuntime } from '../../src/runtime.js';
import type { CreatedOrg } from '../../src/services/orgs.js';
import type { CreateKeyInput, CreatedKey } from '../../src/services/keys.js';
import { OPERATOR } from '../../src/store/audit-repo.js';
import { type TestDatabase, defaultTestDatabase } from './services.js';

export interface TestApp {
  app: FastifyInstance;
  runtime: ServingRuntime;
  clock: Clock;
  org: CreatedOrg;
  /** Creates a key in the test org (sandbox unless said otherwise) and returns it with its full secret. */
  key(options?: Partial<Omit<CreateKeyInput, 'orgId'>> & { scopes?: Scope[]; environment?: Environment }): Promise<CreatedKey>;
  /** Inject with `Authorization: Bearer <secret>` when `secret` is given. */
  request(secret: string | null, options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  database?: TestDatabase;
  /** A ManualClock to step time; defaults to the system clock. */
  clock?: Clock;
  config?: Partial<Config>;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = await (options.database ?? defaultTestDatabase()).create();
  const clock = options.clock ?? { now: () => Date.now() };
  const config: Config = { ...loadConfig({}), databaseUrl: db.url, logLevel: 'silent', ...options.config };
  const runtime = await openServingRuntime(config, clock);
  const app = await buildApp(runtime, { logger: false });
  await app.ready();
  const org = await runtime.orgs.create(`Test org ${Math.random().toString(36).slice(2, 8)}`, { maxTier: 'enterprise' });
  return {
    app,
    runtime,
    clock,
    org,
    key: (o = {}) =>
      runtime.keys.create({ orgId: org.org.id, environment: o.environment ?? 'sandbox', name: o.name ?? 'test key', scopes: o.scopes ?? [], ...o }, OPERATOR),
    request: (secret, opts) => app.inject({ ...opts, headers: { ...(secret ? { authorization: `Bearer ${secret}` } : {}), ...opts.headers } }),
    async close() {
      await app.close();
      await runtime.close();
      await db.drop();
    },
  };
}

export { ManualClock };
