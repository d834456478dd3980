/**
 * A create whose answer is lost on the way back is retried with the same
 * Idempotency-Key, and the real server replays the first answer: one contact,
 * however many attempts. A proxy forwards each request and, for the first POST,
 * drops the connection after the server has answered.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Atender } from '../../src/sdk/index.js';
import { type TestApp, startTestApp } from '../helpers/app.js';

let t: TestApp;
let proxyUrl: string;
let closeProxy: () => Promise<void>;
const seen: Array<{ method: string; key: string | undefined }> = [];

beforeAll(async () => {
  t = await startTestApp();
  const upstream = await t.app.listen({ port: 0, host: '127.0.0.1' });
  let dropped = false;
  const proxy = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      seen.push({ method: req.method!, key: req.headers['idempotency-key'] as string | undefined });
      const answer = await fetch(upstream + req.url, { method: req.method, headers: req.headers as Record<string, string>, body: chunks.length ? Buffer.concat(chunks) : undefined });
      const body = Buffer.from(await answer.arrayBuffer());
      if (req.method === 'POST' && !dropped) {
        dropped = true;
        return void req.socket.destroy(); // the server did the work; the client never hears of it
      }
      res.writeHead(answer.status, Object.fromEntries(answer.headers)).end(body);
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  closeProxy = () => new Promise((r) => proxy.close(() => r()));
});
afterAll(async () => {
  await closeProxy?.();
  await t?.close();
});

it('retries a create whose answer was lost and gets the same contact, not a second one', async () => {
  const client = new Atender({ apiKey: (await t.key({ scopes: ['contacts:read', 'contacts:write'] })).key, baseUrl: proxyUrl, sleep: async () => {} });
  const contact = await client.contacts.create({ name: 'Once' }) // no unique field: without the replay a retry would make a second contact;
  const posts = seen.filter((s) => s.method === 'POST');
  expect(posts).toHaveLength(2);
  expect(posts[0]!.key).toBeDefined();
  expect(posts[1]!.key).toBe(posts[0]!.key);
  const all = await client.contacts.list().toArray();
  expect(all.map((c) => c.id)).toEqual([contact.id]);
});
