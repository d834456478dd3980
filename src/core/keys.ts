/**
 * API key format (SPEC section 2): `sa_live_` | `sa_test_`, 40 CSPRNG characters of
 * [0-9A-Za-z], then a 6-character base62 CRC-32 of everything before it.
 * Pure: no storage, no HTTP. The checksum lets us refuse typos and garbage
 * without a storage round trip.
 */
import { hash, randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';

export type Environment = 'production' | 'sandbox';

export const KEY_PREFIX: Record<Environment, string> = {
  production: 'sa_live_',
  sandbox: 'sa_test_',
};

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 40;
const CHECKSUM_LENGTH = 6;
export const KEY_PATTERN = /^sa_(live|test)_[0-9A-Za-z]{46}$/;

export function base62(value: number, width: number): string {
  let out = '';
  let n = value >>> 0;
  do {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  } while (n > 0);
  return out.padStart(width, '0');
}

export function keyChecksum(body: string): string {
  return base62(crc32(body), CHECKSUM_LENGTH);
}

function randomBase62(length: number): string {
  let out = '';
  // randomInt draws without modulo bias from the CSPRNG.
  for (let i = 0; i < length; i++) out += BASE62[randomInt(62)];
  return out;
}

export function generateKey(environment: Environment): string {
  const body = KEY_PREFIX[environment] + randomBase62(RANDOM_LENGTH);
  return body + keyChecksum(body);
}

export interface ParsedKey {
  environment: Environment;
  token: string;
}

/** Returns null for anything that is not a well-formed key with a valid checksum. */
export function parseKey(token: string): ParsedKey | null {
  if (token.length !== 54 || !KEY_PATTERN.test(token)) return null;
  const body = token.slice(0, 54 - CHECKSUM_LENGTH);
  if (keyChecksum(body) !== token.slice(54 - CHECKSUM_LENGTH)) return null;
  return { environment: token.startsWith('sa_live_') ? 'production' : 'sandbox', token };
}

/** SHA-256 hex digest: the only form in which a secret is stored or looked up. */
export function keyDigest(token: string): string {
  // The one-shot hash skips the Hash object; it runs on every request (node >= 20.12).
  return hash('sha256', token, 'hex');
}

/** `sa_live_AbCd...wxYZ`: prefix, first 4 random characters, last 4 characters. */
export function displayHint(token: string): string {
  return `${token.slice(0, 12)}...${token.slice(-4)}`;
}

export function environmentFromFlag(flag: string): Environment | null {
  switch (flag) {
    case 'live':
    case 'production':
      return 'production';
    case 'test':
    case 'sandbox':
      return 'sandbox';
    default:
      return null;
  }
}
