import { packBatch, unpackBatch } from '/work/main/dist/usage/packed-batch.js';
const ev = (i) => ({ keyId: 'key_01jbenchbenchbenchbenchbe', secretId: 'sec_01jbenchbenchbenchbenchbe', ts: 1767225600000 + i, method: 'GET', route: 'GET /v1/me', requiredScopes: '', status: 200, latencyMs: 0.42, ip: '127.0.0.1' });
const batch = Array.from({ length: 1000 }, (_, i) => ev(i));
for (const [name, f] of [['pack', () => packBatch(batch)], ['pack+unpack', () => unpackBatch(packBatch(batch))], ['stringify', () => JSON.stringify(batch)], ['stringify+parse', () => JSON.parse(JSON.stringify(batch))]]) {
  for (let w = 0; w < 200; w++) f();
  const t0 = performance.now(); for (let i = 0; i < 500; i++) f(); console.log(name, ((performance.now() - t0) * 1000 / 500 / 1000 * 1000).toFixed(0), 'ns/event');
}
