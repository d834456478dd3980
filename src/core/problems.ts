/**
 * The one error type of the service and the catalogue of problem codes
 * (RFC 9457 problem+json; SPEC section 5). Every refusal, wherever it starts,
 * becomes an ApiError and is rendered in one place (http/errors.ts).
 */
export const PROBLEMS = {
  missing_api_key: { status: 401, title: 'Missing API key', about: 'The request has no Authorization header. Send `Authorization: Bearer sa_live_...` (or `sa_test_...`).' },
  malformed_api_key: { status: 401, title: 'Malformed API key', about: 'The Authorization header is not `Bearer <key>`, or the key does not match the key format and its checksum. Copy the key again; it was probably truncated.' },
  invalid_api_key: { status: 401, title: 'Invalid API key', about: 'No key with this value exists. It may have been typed wrong or belong to another installation.' },
  api_key_revoked: { status: 401, title: 'API key revoked', about: 'The key was revoked, or this secret was replaced by a rotation and its grace period has ended. Use the current secret or create a new key.' },
  api_key_expired: { status: 401, title: 'API key expired', about: 'The key passed its expiry time. Create or rotate a key.' },
  api_key_disabled: { status: 401, title: 'API key disabled', about: 'An admin disabled this key. It can be enabled again from the dashboard or the command line.' },
  ip_not_allowed: { status: 403, title: 'IP address not allowed', about: "The request came from an address outside the key's IP allowlist." },
  rate_limited: { status: 429, title: 'Rate limit exceeded', about: "The key's per-minute budget is spent. Wait for the number of seconds in `Retry-After`." },
  daily_quota_exceeded: { status: 429, title: 'Daily quota exceeded', about: "The key's per-day quota (UTC calendar day) is spent. It resets at 00:00 UTC." },
  too_many_failed_attempts: { status: 429, title: 'Too many failed attempts', about: 'Too many requests with malformed or unknown keys came from this address. Wait for `Retry-After` seconds.' },
  insufficient_scope: { status: 403, title: 'Insufficient scope', about: 'The key is valid but lacks a scope this endpoint needs; `required_scopes` lists them.' },
  invalid_request: { status: 400, title: 'Invalid request', about: 'The request did not pass validation; `errors` lists each field and what is wrong with it.' },
  not_found: { status: 404, title: 'Not found', about: 'No such resource or route (or it belongs to another environment or organisation).' },
  conflict: { status: 409, title: 'Conflict', about: 'The request conflicts with the current state, such as a unique field already in use.' },
  idempotency_conflict: { status: 422, title: 'Idempotency key reused', about: 'This Idempotency-Key was used before with a different request body.' },
  payload_too_large: { status: 413, title: 'Payload too large', about: 'Request bodies are limited to 1 MiB.' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type', about: 'Send JSON with `Content-Type: application/json`.' },
  metrics_token_required: { status: 401, title: 'Metrics token required', about: 'This server serves `/metrics` only with `Authorization: Bearer <token>`, the token its operator set in `ATENDER_METRICS_TOKEN`.' },
  session_required: { status: 401, title: 'Sign-in required', about: 'Management calls need a signed-in session.' },
  invalid_credentials: { status: 401, title: 'Wrong email or password', about: 'The email and password do not match an admin. After repeated failures sign-in is paused; an operator can run `atender admin reset-password`.' },
  csrf_rejected: { status: 403, title: 'Cross-site request refused', about: 'A mutating management call must come from the dashboard origin or carry the CSRF token.' },
  forbidden: { status: 403, title: 'Forbidden', about: 'The signed-in admin may not do this.' },
  too_many_requests: { status: 429, title: 'Too many requests', about: 'Slow down and retry after `Retry-After` seconds.' },
  internal_error: { status: 500, title: 'Internal error', about: 'Something failed on our side. The request id helps us find it.' },
  service_unavailable: { status: 503, title: 'Service unavailable', about: 'A dependency is unreachable and the request could not be answered safely. Retry shortly.' },
} as const satisfies Record<string, { status: number; title: string; about: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

export interface FieldError {
  path: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ProblemCode,
    detail?: string,
    /** Extra members of the problem body (`required_scopes`, `errors`, `violated_policies`...). */
    readonly extras: Record<string, unknown> = {},
    /** Extra response headers (`WWW-Authenticate`, `Retry-After`...). */
    readonly headers: Record<string, string> = {},
  ) {
    // A refusal is an answer, not a bug: no stack trace (capturing one was the
    // largest single cost of a 401 or 429). Errors that are bugs keep theirs.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(detail ?? PROBLEMS[code].title);
    Error.stackTraceLimit = limit;
    this.name = 'ApiError';
    this.status = PROBLEMS[code].status;
  }
}

export function isProblemCode(code: string): code is ProblemCode {
  return Object.prototype.hasOwnProperty.call(PROBLEMS, code);
}
