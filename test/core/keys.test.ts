import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { KEY_PATTERN, base62, displayHint, generateKey, keyChecksum, keyDigest, parseKey } from '../../src/core/keys.js';

describe('key format', () => {
  it('generates keys that match the pattern and carry a valid checksum', () => {
    for (const env of ['production', 'sandbox'] as const) {
      for (let i = 0; i < 200; i++) {
        const key = generateKey(env);
        expect(key).toMatch(KEY_PATTERN);
        expect(key.startsWith(env === 'production' ? 'sa_live_' : 'sa_test_')).toBe(true);
        expect(parseKey(key)?.environment).toBe(env);
      }
    }
  });

  it('computes the checksum as base62 CRC-32 of everything before it, zero-padded to 6', () => {
    const body = 'sa_test_' + 'a'.repeat(40);
    const expected = base62(crc32(body), 6);
    expect(keyChecksum(body)).toBe(expected);
    expect(base62(0, 6)).toBe('000000');
    expect(base62(61, 6)).toBe('00000z');
    expect(base62(62, 6)).toBe('000010');
    expect(base62(0xffffffff, 6)).toBe('4gfFC3');
  });

  it('rejects a key with one character changed (checksum) or the wrong shape', () => {
    const key = generateKey('sandbox');
    const flipped = key.slice(0, 20) + (key[20] === 'A' ? 'B' : 'A') + key.slice(21);
    expect(parseKey(flipped)).toBeNull();
    expect(parseKey(key.slice(0, -1))).toBeNull();
    expect(parseKey(key + 'x')).toBeNull();
    expect(parseKey(key.replace('sa_test_', 'sa_prod_'))).toBeNull();
    expect(parseKey('')).toBeNull();
  });

  it('random parts differ between keys', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => generateKey('production')));
    expect(keys.size).toBe(1000);
  });

  it('stores only a digest and a hint that reveal nothing usable', () => {
    const key = generateKey('production');
    expect(keyDigest(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(displayHint(key)).toBe(`${key.slice(0, 12)}...${key.slice(-4)}`);
    expect(displayHint(key)).toMatch(/^sa_live_[0-9A-Za-z]{4}\.\.\.[0-9A-Za-z]{4}$/);
  });
});
