/**
 * Client address and IP allowlists (SPEC section 5). The socket address is the
 * truth; `X-Forwarded-For` is believed only when the socket is a trusted proxy,
 * and then only its rightmost entry that is not itself a trusted proxy.
 */
import ipaddr from 'ipaddr.js';

export type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Parses `a.b.c.d/n`, `::1/128` or a bare address (as /32 or /128). Null when invalid. */
export function parseCidr(text: string): Cidr | null {
  const value = text.trim();
  try {
    if (value.includes('/')) {
      const [addr, bits] = ipaddr.parseCIDR(value);
      return [normalise(addr), addr.kind() === 'ipv6' && normalise(addr).kind() === 'ipv4' ? bits - 96 : bits];
    }
    const addr = normalise(ipaddr.parse(value));
    return [addr, addr.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return null;
  }
}

/** IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes plain IPv4 so it matches IPv4 ranges. */
function normalise(addr: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (addr as ipaddr.IPv6).toIPv4Address();
  }
  return addr;
}

export function parseAddress(text: string | undefined): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (!text) return null;
  try {
    return normalise(ipaddr.parse(text.trim()));
  } catch {
    return null;
  }
}

export function ipInRanges(address: string | undefined, ranges: readonly Cidr[]): boolean {
  const addr = parseAddress(address);
  if (!addr) return false;
  for (const [net, bits] of ranges) {
    if (net.kind() === addr.kind() && addr.match(net as never, bits)) return true;
  }
  return false;
}

export function clientIp(socketAddress: string | undefined, forwardedFor: string | undefined, trustedProxies: readonly Cidr[]): string {
  const socket = canonical(socketAddress);
  if (trustedProxies.length === 0 || !forwardedFor || !ipInRanges(socketAddress, trustedProxies)) return socket;
  const hops = forwardedFor.split(',').map((h) => withoutPort(h.trim())).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (!parseAddress(hop)) return socket; // garbage in the chain: do not guess
    if (!ipInRanges(hop, trustedProxies)) return canonical(hop);
  }
  return socket;
}

/**
 * Some proxies write the client's port too: `203.0.113.9:51234`, or
 * `[2001:db8::1]:443` (and `[2001:db8::1]` without one). A bare IPv6 address
 * has colons of its own and is left as it is.
 */
function withoutPort(hop: string): string {
  if (hop.startsWith('[')) {
    const end = hop.indexOf(']');
    const rest = hop.slice(end + 1);
    return end > 0 && (rest === '' || /^:\d{1,5}$/.test(rest)) ? hop.slice(1, end) : hop;
  }
  const match = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(hop);
  return match ? match[1]! : hop;
}

function canonical(address: string | undefined): string {
  const parsed = parseAddress(address);
  return parsed ? parsed.toString() : (address ?? 'unknown');
}
