/** IP allowlists over HTTP (SPEC section 5, check 5), with and without a trusted proxy. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCidr } from '../../src/core/client-ip.js';
import { type TestApp, startTestApp } from '../helpers/app.js';
import { readUsageEvents } from '../../src/usage/event-blocks.js';

const status = async (t: TestApp, secret: string, remoteAddress: string, forwardedFor?: string) => {
  const res = await t.request(secret, { method: 'GET', url: '/v1/me', remoteAddress, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} });
  return res.statusCode === 200 ? 200 : `${res.statusCode} ${res.json().code}`;
};

describe('IP allowlist, no trusted proxy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('IPv4 and IPv6 ranges admit their addresses and nothing else; the socket address decides', async () => {
    const key = await t.key({ allowedIps: ['192.0.2.0/24', '2001:db8:1::/48', '198.51.100.7'] });
    expect(await status(t, key.key, '192.0.2.200')).toBe(200);
    expect(await status(t, key.key, '::ffff:192.0.2.200')).toBe(200);
    expect(await status(t, key.key, '2001:db8:1:ffff::1')).toBe(200);
    expect(await status(t, key.key, '198.51.100.7')).toBe(200);
    expect(await status(t, key.key, '198.51.100.8')).toBe('403 ip_not_allowed');
    expect(await status(t, key.key, '2001:db8:2::1')).toBe('403 ip_not_allowed');
    expect(await status(t, key.key, '192.0.3.1')).toBe('403 ip_not_allowed');
    // A forged header changes nothing without a trusted proxy.
    expect(await status(t, key.key, '203.0.113.1', '192.0.2.1')).toBe('403 ip_not_allowed');
  });

  it('a key without an allowlist accepts any address; an allowlist change applies at once', async () => {
    const key = await t.key();
    expect(await status(t, key.key, '203.0.113.1')).toBe(200);
    await t.runtime.keys.update(key.id, { allowedIps: ['10.0.0.0/8'] }, { type: 'operator', id: 't', ip: null });
    expect(await status(t, key.key, '203.0.113.1')).toBe('403 ip_not_allowed');
    expect(await status(t, key.key, '10.20.30.40')).toBe(200);
  });

  it('refuses an allowlist entry that is not an address or CIDR', async () => {
    await expect(t.key({ allowedIps: ['10.0.0.0/8', 'nope'] })).rejects.toMatchObject({ code: 'invalid_request' });
  });
});

describe('IP allowlist behind ATENDER_TRUST_PROXY', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ config: { trustProxy: [parseCidr('10.0.0.0/8')!, parseCidr('fd00::/8')!] } });
  });
  afterAll(() => t.close());

  it('believes X-Forwarded-For only from a trusted proxy, taking the rightmost untrusted hop', async () => {
    const key = await t.key({ allowedIps: ['192.0.2.0/24', '2001:db8::/32'] });
    expect(await status(t, key.key, '10.0.0.1', '192.0.2.9')).toBe(200);
    expect(await status(t, key.key, '10.0.0.1', '192.0.2.9, 10.0.0.2')).toBe(200);
    expect(await status(t, key.key, 'fd00::1', '2001:db8::9')).toBe(200);
    // The client can prepend anything; only the hop the proxy appended counts.
    expect(await status(t, key.key, '10.0.0.1', '192.0.2.9, 203.0.113.5')).toBe('403 ip_not_allowed');
    // Not from a trusted proxy: the header is ignored and the socket decides.
    expect(await status(t, key.key, '203.0.113.5', '192.0.2.9')).toBe('403 ip_not_allowed');
    // The proxy itself is not in the allowlist.
    expect(await status(t, key.key, '10.0.0.1')).toBe('403 ip_not_allowed');
  });

  it('usage records the client address the pipeline decided on', async () => {
    const key = await t.key();
    await t.request(key.key, { method: 'GET', url: '/v1/me', remoteAddress: '10.0.0.1', headers: { 'x-forwarded-for': '198.51.100.33' } });
    await t.runtime.usage.flush();
    const logged = await readUsageEvents(t.runtime.store.db, { keyId: key.id });
    expect(logged.map((e) => e.ip)).toEqual(['198.51.100.33']);
  });
});
