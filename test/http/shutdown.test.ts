/** What a node answers to requests that still arrive while it drains. */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../helpers/app.js';

describe('a closing server', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers a request pipelined behind one in flight with a 503 problem+json (request id, Retry-After), after finishing the first', async () => {
    const key = (await t.key({ scopes: ['knowledge:write'] })).key;
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as { port: number };
    const body = JSON.stringify({ title: 'Written while closing', body: 'x'.repeat(1_000) });
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d.toString()));
    const ended = new Promise((resolve) => socket.on('close', resolve));
    socket.write(`POST /v1/knowledge/articles HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = t.app.close();
    await new Promise((resolve) => setTimeout(resolve, 200)); // closing has begun (preClose ran)
    socket.write(`${body.slice(10)}GET /v1/me HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${key}\r\n\r\n`);
    await ended;
    await closed;
    const [first, second] = received.split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 201/);
    expect(second).toMatch(/^HTTP\/1\.1 503/);
    expect(second).toMatch(/content-type: application\/problem\+json/i);
    expect(second).toMatch(/retry-after: 1/i);
    const requestId = /request-id: (\S+)/i.exec(second!)![1];
    const problem = JSON.parse(second!.slice(second!.indexOf('\r\n\r\n') + 4));
    expect(problem).toMatchObject({ code: 'service_unavailable', status: 503, request_id: requestId });
  });
});
