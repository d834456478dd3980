/**
 * Several real `atender serve` processes over one fresh PostgreSQL database, as
 * behind a load balancer, plus an in-test runtime on the same database for
 * setting up orgs and keys the way the CLI does.
 */
import { loadConfig } from '../../src/config.js';
import { type Runtime, openRuntime } from '../../src/runtime.js';
import type { CreateKeyInput, CreatedKey } from '../../src/services/keys.js';
import { OPERATOR } from '../../src/store/audit-repo.js';
import { type ServerProcess, startServer } from './server-process.js';
import { freshPostgresDatabase } from './services.js';

export interface Cluster {
  databaseUrl: string;
  runtime: Runtime;
  orgId: string;
  nodes: ServerProcess[];
  /** Starts one more node (env on top of the cluster's). */
  addNode(env?: Record<string, string>): Promise<ServerProcess>;
  key(options?: Partial<Omit<CreateKeyInput, 'orgId'>>): Promise<CreatedKey>;
  close(): Promise<void>;
}

export async function startCluster(count: number, env: Record<string, string> = {}): Promise<Cluster> {
  const db = await freshPostgresDatabase();
  const runtime = await openRuntime({ ...loadConfig({}), databaseUrl: db.url, dbPoolSize: 3 });
  const org = await runtime.orgs.create('Cluster test org', { maxTier: 'enterprise' });
  const nodes: ServerProcess[] = [];
  const addNode = async (extra: Record<string, string> = {}) => {
    const node = await startServer({ ATENDER_DATABASE_URL: db.url, ATENDER_DB_POOL_SIZE: '4', ...env, ...extra }, ['--no-seed']);
    nodes.push(node);
    return node;
  };
  await Promise.all(Array.from({ length: count }, () => addNode()));
  return {
    databaseUrl: db.url,
    runtime,
    orgId: org.org.id,
    nodes,
    addNode,
    key: (o = {}) => runtime.keys.create({ orgId: org.org.id, environment: 'sandbox', name: 'cluster key', scopes: [], ...o }, OPERATOR),
    async close() {
      await Promise.all(nodes.map((n) => n.stop('SIGKILL')));
      await runtime.close();
      await db.drop();
    },
  };
}

export interface Answer {
  status: number;
  code: string | null;
  headers: Headers;
  body: Record<string, unknown> | null;
  sentAt: number;
  receivedAt: number;
}

/** One request; a connection failure is status 0. */
export async function call(url: string, key: string | null, init: RequestInit = {}): Promise<Answer> {
  const sentAt = Date.now();
  try {
    const res = await fetch(url, { ...init, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(init.headers as Record<string, string>) } });
    const text = await res.text();
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : null;
    return { status: res.status, code: (body?.code as string | undefined) ?? null, headers: res.headers, body, sentAt, receivedAt: Date.now() };
  } catch {
    return { status: 0, code: null, headers: new Headers(), body: null, sentAt, receivedAt: Date.now() };
  }
}

/** Polls `check` until it returns true or the deadline passes. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return false;
}

/** One metric sample's value from a node's /metrics (no labels). */
export async function metric(node: ServerProcess, name: string): Promise<number | null> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : null;
}
