/**
 * One webhook attempt over HTTP: connects to the checked address only, follows
 * no redirect (a 3xx is an answer like any other non-2xx), gives up after the
 * timeout, and reads at most 64 KiB of the answer.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { RESPONSE_READ_LIMIT } from '../core/webhooks.js';
import type { CheckedTarget } from './target-guard.js';

export interface PostResult {
  status: number | null;
  body: string;
  truncated: boolean;
  error: string | null;
}

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 32 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 32 }),
};

/** A DNS lookup that always answers with the address the guard already checked. */
function pinnedLookup(target: CheckedTarget): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  }) as unknown as LookupFunction;
}

export function postJson(target: CheckedTarget, headers: Record<string, string>, body: string, timeoutMs: number, signal?: AbortSignal): Promise<PostResult> {
  return new Promise((resolve) => {
    const { url } = target;
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, {
      method: 'POST',
      agent: agents[url.protocol as 'http:' | 'https:'],
      lookup: pinnedLookup(target),
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Atender-Webhooks/1.0' },
      signal,
    });
    const timer = setTimeout(() => {
      request.destroy();
      finish({ status: null, body: '', truncated: false, error: `timed out after ${timeoutMs} ms` });
    }, timeoutMs);
    request.on('error', (error) => finish({ status: null, body: '', truncated: false, error: describeError(error) }));
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      const done = () => finish({ status: response.statusCode ?? null, body: Buffer.concat(chunks).toString('utf8'), truncated, error: null });
      response.on('data', (chunk: Buffer) => {
        const room = RESPONSE_READ_LIMIT - size;
        if (chunk.length > room) {
          chunks.push(chunk.subarray(0, room));
          size = RESPONSE_READ_LIMIT;
          truncated = true;
          // Enough read: drop the rest rather than buffer a huge answer.
          response.destroy();
          done();
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      response.on('end', done);
      response.on('error', () => done());
      response.on('close', done);
    });
    request.end(body);
  });
}

function describeError(error: Error & { code?: string }): string {
  if (error.name === 'AbortError') return 'aborted: the node is shutting down';
  return error.code ? `${error.code}: ${error.message}` : error.message;
}
