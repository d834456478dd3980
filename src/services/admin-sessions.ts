/**
 * Dashboard sign-in. Sessions are server-side: the browser holds a random token
 * in an HttpOnly cookie and the database holds only its SHA-256, so a leaked
 * database row cannot be replayed. Expiry is sliding (1 hour idle) under an
 * absolute cap (12 hours from sign-in). The CSRF token is derived from the
 * session token (HMAC), so it needs no storage and dies with the session.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import { ACCOUNT_SIGN_IN_RULE, ADDRESS_SIGN_IN_RULE, type ThrottleRule, signInRetryAfter } from '../core/login-throttle.js';
import { ApiError } from '../core/problems.js';
import type { AdminPrincipal } from '../manage/admin-principal.js';
import type { Store } from '../store/db.js';
import {
  clearLoginFailures,
  deleteEndedSessions,
  deleteSession,
  findSessionByDigest,
  insertSession,
  recentLoginFailures,
  recordLoginFailure,
  touchSession,
} from '../store/sessions-repo.js';
import { hashPassword, verifyPassword } from './passwords.js';

export const SESSION_IDLE_MS = 60 * 60_000;
export const SESSION_ABSOLUTE_MS = 12 * 60 * 60_000;
/** Last-seen is written at most this often, not on every call. */
const TOUCH_EVERY_MS = 60_000;
const MAX_PASSWORD_LENGTH = 1024;

export interface SignedIn {
  token: string;
  csrfToken: string;
  principal: AdminPrincipal;
  expiresAt: number;
}

export interface ActiveSession {
  sessionId: string;
  principal: AdminPrincipal;
  /** When the session ends if left idle from now (never after the absolute cap). */
  expiresAt: number;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('atender-csrf').digest('base64url');
}

export function csrfTokenMatches(sessionToken: string, presented: string): boolean {
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export class AdminSessionService {
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async signIn(emailInput: string, password: string, ip: string): Promise<SignedIn> {
    const now = this.clock.now();
    const email = emailInput.trim().toLowerCase();
    const accountSubject = `email:${sha256(email)}`;
    const addressSubject = `ip:${ip}`;
    const wait = Math.max(
      (await this.retryAfter(accountSubject, ACCOUNT_SIGN_IN_RULE, now)) ?? 0,
      (await this.retryAfter(addressSubject, ADDRESS_SIGN_IN_RULE, now)) ?? 0,
    );
    if (wait > 0) {
      throw new ApiError('too_many_requests', `too many failed sign-ins; try again in ${wait} s`, {}, { 'retry-after': String(wait) });
    }
    const admin = await this.store.db.selectFrom('admins').select(['id', 'org_id', 'email', 'password_hash']).where('email', '=', email).executeTakeFirst();
    // An unknown email costs the same Argon2 verification as a known one, so timing does not reveal which emails exist.
    const hash = admin?.password_hash ?? (await this.dummy());
    const ok = password.length <= MAX_PASSWORD_LENGTH && (await verifyPassword(hash, password)) && admin !== undefined;
    if (!ok || !admin) {
      const window = Math.max(ACCOUNT_SIGN_IN_RULE.windowMs, ADDRESS_SIGN_IN_RULE.windowMs);
      await recordLoginFailure(this.store.db, [accountSubject, addressSubject], now, now - window);
      throw new ApiError('invalid_credentials', 'wrong email or password');
    }
    await clearLoginFailures(this.store.db, accountSubject);
    await deleteEndedSessions(this.store.db, admin.id, now - SESSION_IDLE_MS, now);
    const token = randomBytes(32).toString('base64url');
    const absolute = now + SESSION_ABSOLUTE_MS;
    await insertSession(this.store.db, {
      id: newId('ses', now),
      admin_id: admin.id,
      org_id: admin.org_id,
      token_digest: sha256(token),
      created_at: now,
      last_seen_at: now,
      absolute_expires_at: absolute,
      ip,
    });
    return {
      token,
      csrfToken: csrfTokenFor(token),
      principal: { adminId: admin.id, orgId: admin.org_id, email: admin.email },
      expiresAt: Math.min(now + SESSION_IDLE_MS, absolute),
    };
  }

  /** The session a cookie token names, if it is still alive; refreshes its idle timer. */
  async authenticate(token: string): Promise<ActiveSession | null> {
    if (token.length === 0 || token.length > 200) return null;
    const now = this.clock.now();
    const row = await findSessionByDigest(this.store.db, sha256(token));
    if (!row) return null;
    const lastSeen = Number(row.last_seen_at);
    const absolute = Number(row.absolute_expires_at);
    if (now >= lastSeen + SESSION_IDLE_MS || now >= absolute) {
      await deleteSession(this.store.db, row.id);
      return null;
    }
    if (now - lastSeen >= TOUCH_EVERY_MS) await touchSession(this.store.db, row.id, now);
    return {
      sessionId: row.id,
      principal: { adminId: row.admin_id, orgId: row.org_id, email: row.email },
      expiresAt: Math.min(now + SESSION_IDLE_MS, absolute),
    };
  }

  async signOut(sessionId: string): Promise<void> {
    await deleteSession(this.store.db, sessionId);
  }

  private async retryAfter(subject: string, rule: ThrottleRule, now: number): Promise<number | null> {
    return signInRetryAfter(await recentLoginFailures(this.store.db, subject, now - rule.windowMs, rule.limit), rule, now);
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword(randomBytes(18).toString('base64url'));
    return this.dummyHash;
  }
}
