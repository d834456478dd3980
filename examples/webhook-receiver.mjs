// @ts-check
/**
 * A webhook receiver: verifies each delivery's Standard Webhooks signature with
 * the SDK, then acts on the event. Run it (after `npm run build`):
 *
 *   ATENDER_WEBHOOK_SECRET=whsec_... PORT=4000 node examples/webhook-receiver.mjs
 *
 * and point an endpoint at it: `npx atender webhooks create --org acme --env test
 * --url http://127.0.0.1:4000/atender --events contact.created,message.created`.
 */
import { createServer } from 'node:http';
import { WebhookVerificationError, verifyWebhook } from 'atender/client';

const secret = process.env.ATENDER_WEBHOOK_SECRET;
if (!secret) {
  console.error('set ATENDER_WEBHOOK_SECRET to the endpoint secret (whsec_...)');
  process.exit(2);
}

/** @param {import('atender/client').WebhookEvent} event */
function handle(event) {
  switch (event.type) {
    case 'contact.created':
      console.log(`new contact ${event.data.id} <${event.data.email ?? 'no email'}>`);
      break;
    case 'message.created':
      console.log(`message in ${event.data.conversation_id}: ${String(event.data.body).slice(0, 80)}`);
      break;
    default:
      console.log(`${event.type} at ${event.timestamp}`);
  }
}

const server = createServer((req, res) => {
  if (req.method !== 'POST') return void res.writeHead(405).end();
  /** @type {Buffer[]} */
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    try {
      // Verify the raw bytes as received: re-serialised JSON would not match the signature.
      handle(verifyWebhook({ secret, payload: Buffer.concat(chunks), headers: req.headers }));
      res.writeHead(204).end();
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      console.warn(`refused a delivery: ${error.message}`);
      res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid signature');
    }
  });
});

server.listen(Number(process.env.PORT ?? 4000), '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : ''}`);
});
