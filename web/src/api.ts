/** The management API as the dashboard calls it: same-origin fetch with the session cookie, the CSRF token on changes, problem+json errors. */
import type { Static } from '@sinclair/typebox';
import type { ApiKey as ApiKeySchema, AuditEntry as AuditEntrySchema, CreatedApiKey, SessionInfo } from '../../src/manage/schemas.js';


export interface Problem {
  status: number;
  code: string;
  title: string;
  detail: string;
  errors?: { path: string; message: string }[];
  retryAfter?: number;
}

export class ApiProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
  }
}

let csrfToken: string | null = null;
let onSignedOut: () => void = () => {};

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`/manage/v1${path}`, { method, headers, credentials: 'same-origin', body: body === undefined ? null : JSON.stringify(body) });
  } catch {
    throw new ApiProblem({ status: 0, code: 'network_error', title: 'Network error', detail: 'The server could not be reached. Check your connection and try again.' });
  }
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => null)) as (Problem & T) | null;
  if (res.ok) return data as T;
  const problem: Problem = {
    status: res.status,
    code: data?.code ?? 'unknown',
    title: data?.title ?? res.statusText,
    detail: data?.detail ?? `The server answered ${res.status}.`,
    ...(data?.errors ? { errors: data.errors } : {}),
    ...(res.headers.get('retry-after') ? { retryAfter: Number(res.headers.get('retry-after')) } : {}),
  };
  if (problem.code === 'session_required' && path !== '/session') onSignedOut();
  throw new ApiProblem(problem);
}

// The shapes come from the server's own TypeBox schemas (type-only imports: nothing of the server is bundled).
export type ApiKey = Static<typeof ApiKeySchema>;
export type KeySecret = ApiKey['secrets'][number];
export type CreatedKey = Static<typeof CreatedApiKey>;
export type Session = Static<typeof SessionInfo>;
export type AuditEntry = Static<typeof AuditEntrySchema>;
