/**
 * Which webhook URLs may be called (SSRF defence). A URL must be http(s) without
 * credentials, and every address its host resolves to must be public, checked
 * when the endpoint is saved and again before each attempt. The attempt then
 * connects to the address that was checked, never resolving again, so a DNS
 * answer that changes in between (rebinding) cannot redirect it.
 */
import { lookup } from 'node:dns/promises';
import { isPublicAddress } from '../core/webhooks.js';

export const MAX_URL_LENGTH = 2048;

export interface CheckedTarget {
  url: URL;
  address: string;
  family: 4 | 6;
}

export class TargetRefused extends Error {}

export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** Parses and checks the URL's shape only (no DNS). */
export function parseTargetUrl(text: string): URL {
  if (text.length > MAX_URL_LENGTH) throw new TargetRefused(`the URL is longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TargetRefused('not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TargetRefused('only http and https URLs are allowed');
  if (url.username || url.password) throw new TargetRefused('credentials in the URL are not allowed');
  if (url.hash) throw new TargetRefused('a URL fragment is not allowed');
  return url;
}

export class TargetGuard {
  constructor(
    private readonly allowPrivate: boolean,
    private readonly resolve: Resolver = systemResolver,
  ) {}

  /** Resolves the host and checks every address; returns the one to connect to. */
  async check(text: string): Promise<CheckedTarget> {
    const url = parseTargetUrl(text);
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: { address: string; family: number }[];
    try {
      addresses = await this.resolve(hostname);
    } catch {
      throw new TargetRefused(`the host ${hostname} does not resolve`);
    }
    if (addresses.length === 0) throw new TargetRefused(`the host ${hostname} does not resolve`);
    if (!this.allowPrivate) {
      const refused = addresses.find((a) => !isPublicAddress(a.address));
      if (refused) throw new TargetRefused(`the host ${hostname} resolves to a non-public address (${refused.address}); private, loopback and link-local targets are refused`);
    }
    const first = addresses[0]!;
    return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
  }
}
