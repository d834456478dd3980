/** A tiny HTTP server that answers from a script, for injecting faults a real server will not produce on demand. */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | 'hang-up';
export type Script = (request: SeenRequest, index: number) => Answer;

export interface FaultServer {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export async function startFaultServer(script: Script): Promise<FaultServer> {
  const requests: SeenRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      requests.push(seen);
      const answer = script(seen, requests.length - 1);
      if (answer === 'hang-up') return void req.socket.destroy();
      const problem = answer.status >= 400;
      res.writeHead(answer.status, { 'content-type': problem ? 'application/problem+json' : 'application/json', 'request-id': `req_${requests.length}`, ...answer.headers });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export const problem = (status: number, code: string, extras: Record<string, unknown> = {}) => ({
  type: `/problems/${code}`,
  title: code,
  status,
  detail: `detail of ${code}`,
  code,
  request_id: 'req_problem',
  ...extras,
});
