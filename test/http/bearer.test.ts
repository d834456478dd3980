import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bearerToken } from '../../src/http/auth-plugin.js';

// The rule: scheme in any case, exactly one space, then the token (which must be the rest).
const BEARER = /^bearer (.*)$/i;

describe('bearerToken: "Bearer" in any case, one space, the rest is the token', () => {
  it('agrees with the rule written as a regular expression, on any header', () => {
    const header = fc.oneof(
      fc.string(),
      fc.tuple(fc.constantFrom('Bearer', 'bearer', 'BEARER', 'bEaReR', 'Basic', 'Bearer:'), fc.constantFrom(' ', '  ', '\t', ''), fc.string({ unit: 'binary' })).map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(header, (h) => {
        expect(bearerToken(h)).toBe(BEARER.exec(h)?.[1] ?? null);
      }),
      { numRuns: 2_000 },
    );
  });

  it('examples', () => {
    expect(bearerToken('Bearer sa_test_x')).toBe('sa_test_x');
    expect(bearerToken('bearer ')).toBe('');
    expect(bearerToken('Bearer  x')).toBe(' x');
    expect(bearerToken('Bearer')).toBeNull();
    expect(bearerToken('Bearer\u2028x')).toBeNull();
    expect(bearerToken('Bearer x\ny')).toBeNull();
  });
});
