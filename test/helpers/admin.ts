/** Signs an org admin in to the management API of a TestApp and sends calls as them, like the dashboard does. */
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { TestApp } from './app.js';

/** Fastify's inject sends `Host: localhost:80`, so this is the server's own origin. */
export const SAME_ORIGIN = 'http://localhost:80';

export interface AdminClient {
  cookie: string;
  csrfToken: string;
  /** A management call with the session cookie and a same-origin `Origin`; extra headers override. */
  call(options: InjectOptions): Promise<LightMyRequestResponse>;
}

export async function signIn(t: TestApp, credentials: { email: string; password: string } = t.org.admin, remoteAddress = '127.0.0.1'): Promise<AdminClient> {
  const res = await t.app.inject({ method: 'POST', url: '/manage/v1/session', payload: credentials, remoteAddress });
  if (res.statusCode !== 204) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  const cookie = sessionCookie(res);
  return {
    cookie,
    csrfToken: String(res.headers['x-csrf-token']),
    call: (options) => t.app.inject({ remoteAddress, ...options, headers: { cookie, origin: SAME_ORIGIN, ...options.headers } }),
  };
}

/** `name=value` of the session cookie a response set. */
export function sessionCookie(res: LightMyRequestResponse): string {
  const set = res.headers['set-cookie'];
  const line = (Array.isArray(set) ? set : [set ?? '']).find((c) => c.startsWith('atender_session='));
  if (!line) throw new Error('no session cookie was set');
  return line.split(';')[0]!;
}
