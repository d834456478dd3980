import { describe, expect, it } from 'vitest';
import { ApiError, PROBLEMS, isProblemCode } from '../../src/core/problems.js';

describe('problem catalogue (SPEC section 5)', () => {
  it('has every documented code with its status', () => {
    const documented: Record<string, number> = {
      missing_api_key: 401,
      malformed_api_key: 401,
      invalid_api_key: 401,
      api_key_revoked: 401,
      api_key_expired: 401,
      api_key_disabled: 401,
      ip_not_allowed: 403,
      rate_limited: 429,
      daily_quota_exceeded: 429,
      too_many_failed_attempts: 429,
      insufficient_scope: 403,
      invalid_request: 400,
      not_found: 404,
      conflict: 409,
      idempotency_conflict: 422,
      payload_too_large: 413,
      unsupported_media_type: 415,
      internal_error: 500,
      service_unavailable: 503,
      session_required: 401,
      csrf_rejected: 403,
    };
    for (const [code, status] of Object.entries(documented)) {
      expect(isProblemCode(code), code).toBe(true);
      expect(PROBLEMS[code as keyof typeof PROBLEMS].status, code).toBe(status);
    }
  });

  it('every code has a title and an explanation', () => {
    for (const [code, p] of Object.entries(PROBLEMS)) {
      expect(p.title.length, code).toBeGreaterThan(3);
      expect(p.about.length, code).toBeGreaterThan(10);
    }
  });

  it('ApiError takes its status from the catalogue and keeps extras and headers', () => {
    const e = new ApiError('rate_limited', 'slow down', { violated_policies: ['minute'] }, { 'retry-after': '3' });
    expect(e.status).toBe(429);
    expect(e.message).toBe('slow down');
    expect(e.extras).toEqual({ violated_policies: ['minute'] });
    expect(e.headers).toEqual({ 'retry-after': '3' });
    expect(new ApiError('not_found').message).toBe('Not found');
    expect(isProblemCode('toString')).toBe(false);
    expect(isProblemCode('nope')).toBe(false);
  });
});
