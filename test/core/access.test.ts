import { describe, expect, it } from 'vitest';
import { type KeyRecord, ipAllowed, keyStateOutcome, keyStatus } from '../../src/core/access.js';
import { parseCidr } from '../../src/core/client-ip.js';
import { resolveLimits } from '../../src/core/limits.js';

const NOW = Date.UTC(2026, 5, 1, 12);

function record(overrides: Partial<KeyRecord> = {}): KeyRecord {
  return {
    keyId: 'key_x',
    orgId: 'org_x',
    tenantId: 'ten_x',
    environment: 'sandbox',
    name: 'k',
    scopes: new Set(),
    tier: 'standard',
    limits: resolveLimits('standard'),
    active: true,
    expiresAt: null,
    revokedAt: null,
    allowedIps: [],
    secretId: 'sec_x',
    secretRetiresAt: null,
    limiterState: undefined,
    heldUse: undefined,
    ...overrides,
  };
}

describe('check 4: key state, first that applies of revoked, expired, disabled', () => {
  it('an active, unexpired, unrevoked key passes', () => {
    expect(keyStateOutcome(record({ expiresAt: NOW + 1 }), NOW)).toBe('ok');
  });

  it.each([
    ['revoked beats expired and disabled', { revokedAt: NOW - 1, expiresAt: NOW - 1, active: false }, 'api_key_revoked'],
    ['a secret past its grace answers as revoked, before expired', { secretRetiresAt: NOW, expiresAt: NOW - 1, active: false }, 'api_key_revoked'],
    ['expired beats disabled', { expiresAt: NOW, active: false }, 'api_key_expired'],
    ['disabled', { active: false }, 'api_key_disabled'],
  ] as const)('%s', (_name, overrides, outcome) => {
    expect(keyStateOutcome(record(overrides), NOW)).toBe(outcome);
  });

  it('a secret still in its grace works; expiry and grace take effect at the exact millisecond', () => {
    expect(keyStateOutcome(record({ secretRetiresAt: NOW + 1 }), NOW)).toBe('ok');
    expect(keyStateOutcome(record({ expiresAt: NOW + 1 }), NOW + 1)).toBe('api_key_expired');
    expect(keyStateOutcome(record({ secretRetiresAt: NOW + 1 }), NOW + 1)).toBe('api_key_revoked');
  });

  it('the status people see follows the same precedence', () => {
    expect(keyStatus({ active: false, expiresAt: NOW - 1, revokedAt: NOW - 1 }, NOW)).toBe('revoked');
    expect(keyStatus({ active: false, expiresAt: NOW - 1, revokedAt: null }, NOW)).toBe('expired');
    expect(keyStatus({ active: false, expiresAt: null, revokedAt: null }, NOW)).toBe('disabled');
    expect(keyStatus({ active: true, expiresAt: NOW + 1, revokedAt: null }, NOW)).toBe('active');
  });
});

describe('check 5: IP allowlist', () => {
  it('an empty allowlist allows everyone; otherwise only addresses inside', () => {
    expect(ipAllowed(record(), '203.0.113.1')).toBe(true);
    const key = record({ allowedIps: [parseCidr('203.0.113.0/24')!] });
    expect(ipAllowed(key, '203.0.113.1')).toBe(true);
    expect(ipAllowed(key, '::ffff:203.0.113.1')).toBe(true);
    expect(ipAllowed(key, '203.0.114.1')).toBe(false);
    expect(ipAllowed(key, 'unknown')).toBe(false);
  });
});
