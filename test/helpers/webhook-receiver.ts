/** A real HTTP receiver on loopback that records every webhook it gets and answers as the test says. */
import { afterAll, beforeAll } from 'vitest';
import { type IncomingHttpHeaders, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestApp, type TestAppOptions, startTestApp } from './app.js';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What to answer: a status (and body), or `hang` to keep the request open until the receiver closes. */
export type Answer = { status: number; body?: string; headers?: Record<string, string> } | 'hang';

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Answers in order; the last one repeats. */
  answers: Answer[];
  /** Resolves once `n` requests have arrived (fails after `ms`). */
  waitFor(n: number, ms?: number): Promise<void>;
  /** Headers as `standardwebhooks` wants them (string values). */
  headersOf(r: Received): Record<string, string>;
  close(): Promise<void>;
}

export async function startReceiver(answers: Answer[] = [{ status: 204 }]): Promise<Receiver> {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const state = { answers };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const list = state.answers;
      const answer = list[Math.min(received.length - 1, list.length - 1)] ?? { status: 204 };
      if (answer === 'hang') hanging.push(res);
      else res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
      for (const w of waiters.filter((w) => received.length >= w.n)) w.resolve();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    get answers() {
      return state.answers;
    },
    set answers(value: Answer[]) {
      state.answers = value;
    },
    waitFor(n, ms = 20_000) {
      if (received.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`receiver got ${received.length} of ${n} requests within ${ms} ms`)), ms);
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    headersOf: (r) => Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)])),
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A test app and a receiver for the enclosing `describe`: started before its tests, closed after. */
export function appWithReceiver(options: TestAppOptions, answers?: Answer[]): { t: TestApp; r: Receiver } {
  const context = {} as { t: TestApp; r: Receiver };
  beforeAll(async () => {
    context.t = await startTestApp(options);
    context.r = await startReceiver(answers);
  });
  afterAll(async () => {
    await context.r.close();
    await context.t.close();
  });
  return context;
}
