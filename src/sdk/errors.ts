/**
 * Typed errors of the SDK. Every problem+json answer (SPEC section 5) becomes an
 * AtenderError subclass chosen by status, so callers can `catch (e) { if (e
 * instanceof RateLimitError) ... }` or switch on the stable `code`.
 */

export interface FieldError {
  path: string;
  message: string;
}

export interface AtenderErrorInit {
  code: string;
  status: number;
  detail: string;
  title?: string | undefined;
  type?: string | undefined;
  requestId?: string | undefined;
  requiredScopes?: string[] | undefined;
  violatedPolicies?: string[] | undefined;
  errors?: FieldError[] | undefined;
  retryAfter?: number | undefined;
  body?: unknown;
  cause?: unknown;
}

export class AtenderError extends Error {
  /** The stable machine code, e.g. `insufficient_scope`, or `connection_error` when no answer came. */
  readonly code: string;
  /** The HTTP status; 0 when the request got no answer. */
  readonly status: number;
  /** The server's `detail`: what went wrong with this request. */
  readonly detail: string;
  readonly title: string | undefined;
  readonly type: string | undefined;
  /** The `Request-Id` to quote when reporting a problem. */
  readonly requestId: string | undefined;
  /** 403 insufficient_scope: the scopes the endpoint needs. */
  readonly requiredScopes: string[] | undefined;
  /** 429: `["minute"]` or `["day"]`. */
  readonly violatedPolicies: string[] | undefined;
  /** 400: each invalid field. */
  readonly errors: FieldError[] | undefined;
  /** Seconds the server asked us to wait (`Retry-After`). */
  readonly retryAfter: number | undefined;
  /** The parsed response body, as sent. */
  readonly body: unknown;

  constructor(init: AtenderErrorInit) {
    super(init.detail, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.code = init.code;
    this.status = init.status;
    this.detail = init.detail;
    this.title = init.title;
    this.type = init.type;
    this.requestId = init.requestId;
    this.requiredScopes = init.requiredScopes;
    this.violatedPolicies = init.violatedPolicies;
    this.errors = init.errors;
    this.retryAfter = init.retryAfter;
    this.body = init.body;
  }
}

/** The client was set up wrong (no key, malformed key, no base URL); nothing was sent. */
export class AtenderConfigError extends AtenderError {
  constructor(code: string, detail: string) {
    super({ code, status: 0, detail });
  }
}
/** 400, 413, 415: the request itself is wrong; `errors` lists the fields. */
export class InvalidRequestError extends AtenderError {}
/** 401: the key is missing, malformed, unknown, revoked, expired or disabled. */
export class AuthenticationError extends AtenderError {}
/** 403: the key lacks a scope (`requiredScopes`) or the IP is not allowed. */
export class PermissionError extends AtenderError {}
/** 404: no such resource (or it belongs to the other environment). */
export class NotFoundError extends AtenderError {}
/** 409: a unique field is in use or the state forbids the change. */
export class ConflictError extends AtenderError {}
/** 422: the Idempotency-Key was used before with a different body. */
export class IdempotencyError extends AtenderError {}
/** 429: the per-minute or per-day budget is spent; `retryAfter` says for how long. */
export class RateLimitError extends AtenderError {}
/** 5xx: the server failed; retried automatically when repeating is safe. */
export class ServerError extends AtenderError {}
/** No answer: the connection failed or timed out. */
export class ConnectionError extends AtenderError {}

function classFor(status: number): typeof AtenderError {
  if (status === 401) return AuthenticationError;
  if (status === 403) return PermissionError;
  if (status === 404) return NotFoundError;
  if (status === 409) return ConflictError;
  if (status === 422) return IdempotencyError;
  if (status === 429) return RateLimitError;
  if (status >= 500) return ServerError;
  return InvalidRequestError;
}

const stringArray = (value: unknown): string[] | undefined => (Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** `Retry-After` as whole or fractional seconds, from delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

/** Builds the error for a non-2xx answer from its status, headers and (problem+json) body. */
export function errorFromResponse(status: number, headers: Headers, body: unknown, now: number): AtenderError {
  const problem = (body !== null && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const errors = Array.isArray(problem.errors) ? (problem.errors as FieldError[]) : undefined;
  const ErrorClass = classFor(status);
  return new ErrorClass({
    code: str(problem.code) ?? `http_${status}`,
    status,
    detail: str(problem.detail) ?? (typeof body === 'string' && body.length > 0 ? body.slice(0, 500) : `HTTP ${status}`),
    title: str(problem.title),
    type: str(problem.type),
    requestId: str(problem.request_id) ?? headers.get('request-id') ?? undefined,
    requiredScopes: stringArray(problem.required_scopes),
    violatedPolicies: stringArray(problem.violated_policies),
    errors,
    retryAfter: parseRetryAfter(headers.get('retry-after'), now),
    body,
  });
}
