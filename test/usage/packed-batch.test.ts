import { describe, expect, it } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import { packBatch, transferables, unpackBatch } from '../../src/usage/packed-batch.js';
import type { UsageEvent } from '../../src/usage/writer.js';

const event = (i: number, overrides: Partial<UsageEvent> = {}): UsageEvent => ({
  keyId: `key_${i % 3}`,
  secretId: i % 2 ? `sec_${i % 3}` : null,
  ts: 1_767_225_600_123 + i,
  method: 'GET',
  route: i % 2 ? 'GET /v1/me' : 'POST /v1/contacts',
  requiredScopes: i % 2 ? '' : 'contacts:write',
  status: [200, 401, 429][i % 3]!,
  latencyMs: i / 7,
  ip: i % 4 === 0 ? null : `2001:db8::${i}`,
  ...overrides,
});

describe('the packed usage batch (hand-off to the writer thread)', () => {
  it('unpacks to the events it was packed from, nulls, empty strings and fractions included', () => {
    const batch = Array.from({ length: 50 }, (_, i) => event(i));
    expect(unpackBatch(packBatch(batch))).toEqual(batch);
  });

  it('holds each distinct string once', () => {
    const batch = Array.from({ length: 1000 }, (_, i) => event(i, { ip: '198.51.100.7' }));
    const packed = packBatch(batch);
    const distinct = new Set(batch.flatMap((e) => [e.keyId, e.secretId, e.method, e.route, e.requiredScopes, e.ip].filter((s) => s !== null)));
    expect(packed.strings.length).toBe(distinct.size);
    expect(new Set(packed.strings)).toEqual(distinct);
  });

  it('an empty batch stays empty', () => {
    expect(unpackBatch(packBatch([]))).toEqual([]);
  });

  it('crosses a MessagePort with its buffers transferred, and arrives whole', async () => {
    const batch = Array.from({ length: 10 }, (_, i) => event(i));
    const packed = packBatch(batch);
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<unknown>((resolve) => port2.once('message', resolve));
    port1.postMessage(packed, transferables(packed));
    expect(packed.refs.byteLength).toBe(0); // moved, not copied
    expect(unpackBatch((await received) as never)).toEqual(batch);
    port1.close();
  });
});
