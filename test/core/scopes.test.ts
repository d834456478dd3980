import { describe, expect, it } from 'vitest';
import { ALL_SCOPES, missingScopes, parseScopes } from '../../src/core/scopes.js';

describe('scopes (SPEC section 3)', () => {
  it('has exactly the eight documented scopes', () => {
    expect([...ALL_SCOPES].sort()).toEqual(
      ['analytics:read', 'channels:api', 'contacts:read', 'contacts:write', 'conversations:read', 'conversations:write', 'knowledge:read', 'knowledge:write'].sort(),
    );
  });

  it('parses a list: trims, drops empties and duplicates, sorts', () => {
    expect(parseScopes([' knowledge:write', 'knowledge:read', '', 'knowledge:write '])).toEqual({ scopes: ['knowledge:read', 'knowledge:write'] });
    expect(parseScopes([])).toEqual({ scopes: [] });
  });

  it('refuses unknown names and reports every one of them', () => {
    expect(parseScopes(['knowledge:read', 'knowledge:admin', 'webhooks'])).toEqual({ unknown: ['knowledge:admin', 'webhooks'] });
    // Case matters: scope names are exact.
    expect(parseScopes(['Knowledge:Read'])).toEqual({ unknown: ['Knowledge:Read'] });
    // Not an inherited object property either.
    expect(parseScopes(['constructor', 'toString'])).toEqual({ unknown: ['constructor', 'toString'] });
  });

  it('no scope implies another', () => {
    expect(missingScopes(new Set(['knowledge:write']), ['knowledge:read'])).toEqual(['knowledge:read']);
    expect(missingScopes(new Set(['conversations:write']), ['conversations:write', 'channels:api'])).toEqual(['channels:api']);
    expect(missingScopes(new Set(['knowledge:read']), [])).toEqual([]);
  });
});
