/** examples/crm-contact-sync.mjs, run as a user would (needs `npm run build`), against a real server. */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Atender } from '../../src/sdk/index.js';
import { type TestApp, startTestApp } from '../helpers/app.js';

const example = fileURLToPath(new URL('../../examples/crm-contact-sync.mjs', import.meta.url));
let t: TestApp;
let url: string;

beforeAll(async () => {
  t = await startTestApp();
  url = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => t?.close());

function run(key: string, records: unknown[]) {
  const file = join(mkdtempSync(join(tmpdir(), 'crm-')), 'export.json');
  writeFileSync(file, JSON.stringify(records));
  // Not spawnSync: the server runs in this process and must keep answering.
  const child = spawn(process.execPath, [example, file], { env: { ...process.env, ATENDER_API_KEY: key, ATENDER_API_URL: url } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

it('upserts CRM records by their id: created the first time, updated after', async () => {
  const { key } = await t.key({ scopes: ['contacts:read', 'contacts:write'] });
  const records = [
    { id: 1, email: 'ada@example.com', name: 'Ada', company: 'Acme', plan: 'pro' },
    { id: 2, email: 'grace@example.com', name: 'Grace' },
    { id: 3, name: 'Lin', phone: '+44 20 7946 0000' },
  ];
  const first = await run(key, records);
  expect(first.stderr).toBe('');
  expect(first.stdout.trim()).toBe('3 created, 0 updated, 0 failed');
  expect(first.status).toBe(0);

  const second = await run(key, records.map((r) => (r.id === 1 ? { ...r, plan: 'enterprise' } : r)));
  expect(second.stdout.trim()).toBe('0 created, 3 updated, 0 failed');
  const [ada] = await new Atender({ apiKey: key, baseUrl: url }).contacts.list({ external_id: '1' }).toArray();
  expect(ada).toMatchObject({ email: 'ada@example.com', attributes: { company: 'Acme', plan: 'enterprise', source: 'crm' } });
});

it('reports each record the server refuses and exits 1', async () => {
  const { key } = await t.key({ scopes: ['contacts:read'] });
  const result = await run(key, [{ id: 9, name: 'Nope' }]);
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('CRM record 9: insufficient_scope: this endpoint needs contacts:write');
  expect(result.stdout.trim()).toBe('0 created, 0 updated, 1 failed');
});
