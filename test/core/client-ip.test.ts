import { describe, expect, it } from 'vitest';
import { type Cidr, clientIp, ipInRanges, parseCidr } from '../../src/core/client-ip.js';

const cidrs = (...list: string[]): Cidr[] => list.map((c) => parseCidr(c)!);

describe('parseCidr', () => {
  it('reads CIDRs and bare addresses of both families', () => {
    expect(parseCidr('10.0.0.0/8')?.[1]).toBe(8);
    expect(parseCidr('192.0.2.7')?.[1]).toBe(32);
    expect(parseCidr('2001:db8::/32')?.[1]).toBe(32);
    expect(parseCidr('::1')?.[1]).toBe(128);
    // An IPv4-mapped IPv6 range becomes the IPv4 range it denotes.
    const mapped = parseCidr('::ffff:10.0.0.0/104')!;
    expect(mapped[0].kind()).toBe('ipv4');
    expect(mapped[1]).toBe(8);
  });

  it.each(['', 'banana', '10.0.0.0/33', '300.1.1.1', '10.0.0.0/', '2001:db8::/129', '1.2.3.4/8/1'])('refuses %j', (text) => {
    expect(parseCidr(text)).toBeNull();
  });
});

describe('ipInRanges', () => {
  const ranges = cidrs('10.0.0.0/8', '2001:db8::/32');
  it('matches IPv4, IPv6 and IPv4-mapped IPv6 against IPv4 ranges', () => {
    expect(ipInRanges('10.200.1.1', ranges)).toBe(true);
    expect(ipInRanges('::ffff:10.200.1.1', ranges)).toBe(true);
    expect(ipInRanges('2001:db8:1::5', ranges)).toBe(true);
    expect(ipInRanges('11.0.0.1', ranges)).toBe(false);
    expect(ipInRanges('::ffff:11.0.0.1', ranges)).toBe(false);
    expect(ipInRanges('2001:db9::1', ranges)).toBe(false);
  });
  it('never matches garbage or a missing address', () => {
    expect(ipInRanges(undefined, ranges)).toBe(false);
    expect(ipInRanges('not-an-ip', ranges)).toBe(false);
    expect(ipInRanges('', ranges)).toBe(false);
  });
});

describe('clientIp (SPEC section 5, ATENDER_TRUST_PROXY)', () => {
  const proxies = cidrs('10.0.0.0/8', '192.0.2.1');

  it('is the socket address when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientIp('198.51.100.4', '1.2.3.4', [])).toBe('198.51.100.4');
  });

  it('is the socket address when the socket is not a trusted proxy (a spoofed header is ignored)', () => {
    expect(clientIp('198.51.100.4', '1.2.3.4', proxies)).toBe('198.51.100.4');
  });

  it('from a trusted proxy: the rightmost X-Forwarded-For entry that is not a trusted proxy', () => {
    expect(clientIp('10.0.0.5', '1.2.3.4', proxies)).toBe('1.2.3.4');
    // The client forged the left entry; the proxies appended the real one and themselves.
    expect(clientIp('10.0.0.5', '6.6.6.6, 203.0.113.9, 192.0.2.1, 10.1.1.1', proxies)).toBe('203.0.113.9');
    expect(clientIp('192.0.2.1', '  203.0.113.9 ,10.2.2.2 ', proxies)).toBe('203.0.113.9');
  });

  it('from a trusted proxy without X-Forwarded-For, or with only proxies in it, is the socket address', () => {
    expect(clientIp('10.0.0.5', undefined, proxies)).toBe('10.0.0.5');
    expect(clientIp('10.0.0.5', '', proxies)).toBe('10.0.0.5');
    expect(clientIp('10.0.0.5', '10.9.9.9, 192.0.2.1', proxies)).toBe('10.0.0.5');
  });

  it('reads hops written with a port (IPv4 and bracketed IPv6) as their address', () => {
    expect(clientIp('10.0.0.5', '203.0.113.9:51234', proxies)).toBe('203.0.113.9');
    expect(clientIp('10.0.0.5', '[2001:db8::1]:443', proxies)).toBe('2001:db8::1');
    expect(clientIp('10.0.0.5', '[2001:db8::1]', proxies)).toBe('2001:db8::1');
    expect(clientIp('10.0.0.5', '2001:db8::1', proxies)).toBe('2001:db8::1');
    expect(clientIp('10.0.0.5', '203.0.113.9:51234, 10.1.1.1:80', proxies)).toBe('203.0.113.9');
    // Still not guessing: a malformed port or bracket is garbage.
    expect(clientIp('10.0.0.5', '203.0.113.9:port', proxies)).toBe('10.0.0.5');
    expect(clientIp('10.0.0.5', '[2001:db8::1]x', proxies)).toBe('10.0.0.5');
  });

  it('does not guess past garbage: an unparsable hop yields the socket address', () => {
    expect(clientIp('10.0.0.5', '1.2.3.4, garbage', proxies)).toBe('10.0.0.5');
    expect(clientIp('10.0.0.5', 'garbage', proxies)).toBe('10.0.0.5');
    // Garbage left of the first untrusted hop is never reached.
    expect(clientIp('10.0.0.5', 'garbage, 1.2.3.4', proxies)).toBe('1.2.3.4');
  });

  it('normalises IPv4-mapped IPv6 sockets and hops to IPv4', () => {
    expect(clientIp('::ffff:198.51.100.4', undefined, [])).toBe('198.51.100.4');
    expect(clientIp('::ffff:10.0.0.5', '::ffff:1.2.3.4', proxies)).toBe('1.2.3.4');
  });
});
