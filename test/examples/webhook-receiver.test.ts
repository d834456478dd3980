/** examples/webhook-receiver.mjs, run as a user would (needs `npm run build`), fed deliveries signed by the reference library. */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../helpers/server-process.js';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
let child: ChildProcess;
let output = '';
let url: string;

async function until(predicate: () => boolean, what: string) {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}/atender`;
  child = spawn(process.execPath, [fileURLToPath(new URL('../../examples/webhook-receiver.mjs', import.meta.url))], { env: { ...process.env, ATENDER_WEBHOOK_SECRET: secret, PORT: String(port) } });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await until(() => output.includes('listening on'), 'the receiver to listen');
});
afterAll(() => void child?.kill());

function deliver(body: string, signWith = secret) {
  const id = `msg_${randomBytes(8).toString('hex')}`;
  const now = new Date();
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': new Webhook(signWith).sign(id, now, body) },
    body,
  });
}

it('accepts a signed delivery and acts on it, and refuses a forged one', async () => {
  const body = JSON.stringify({ type: 'contact.created', timestamp: new Date().toISOString(), data: { id: 'ct_42', email: 'ada@example.com' } });
  expect((await deliver(body)).status).toBe(204);
  await until(() => output.includes('new contact ct_42 <ada@example.com>'), 'the event to be handled');

  const forged = await deliver(body.replace('ct_42', 'ct_43'), `whsec_${randomBytes(32).toString('base64')}`);
  expect(forged.status).toBe(400);
  await until(() => output.includes('refused a delivery: no webhook-signature matches the payload'), 'the refusal to be logged');
  expect(output).not.toContain('ct_43');
});
