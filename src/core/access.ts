/**
 * The access decision for a known key (SPEC section 5, checks 4, 5 and 7) as data,
 * not exceptions: the edge turns a refusal into a problem response in one place.
 */
import type { Environment } from './keys.js';
import type { Limits, Tier } from './limits.js';
import type { Scope } from './scopes.js';
import { type Cidr, ipInRanges } from './client-ip.js';

/** Everything the pipeline needs about a key, denormalised into one cached record. */
export interface KeyRecord {
  keyId: string;
  orgId: string;
  tenantId: string;
  environment: Environment;
  name: string;
  scopes: ReadonlySet<Scope>;
  tier: Tier;
  limits: Limits;
  active: boolean;
  expiresAt: number | null;
  revokedAt: number | null;
  allowedIps: readonly Cidr[];
  /** The secret that was presented: its id and, when it was rotated out, the end of its grace. */
  secretId: string;
  secretRetiresAt: number | null;
  /**
   * The in-process limiter's state for this key (limiter/memory.ts), kept here
   * so a request skips its map; opaque to everything else. Every record is
   * built with it (undefined), so setting it later adds no property store.
   */
  limiterState: unknown;
  /** The request thread's held usage for this secret (usage/held-usage.ts), kept here for the same reason. */
  heldUse: unknown;
}

export type KeyStateOutcome = 'ok' | 'api_key_revoked' | 'api_key_expired' | 'api_key_disabled';

/** Check 4: revoked (incl. a secret rotated past its grace), then expired, then disabled. */
export function keyStateOutcome(key: KeyRecord, now: number): KeyStateOutcome {
  if (key.revokedAt !== null && key.revokedAt <= now) return 'api_key_revoked';
  if (key.secretRetiresAt !== null && key.secretRetiresAt <= now) return 'api_key_revoked';
  if (key.expiresAt !== null && key.expiresAt <= now) return 'api_key_expired';
  if (!key.active) return 'api_key_disabled';
  return 'ok';
}

/** Check 5. An empty allowlist allows every address. */
export function ipAllowed(key: KeyRecord, ip: string): boolean {
  return key.allowedIps.length === 0 || ipInRanges(ip, key.allowedIps);
}

export type KeyStatus = 'active' | 'disabled' | 'expired' | 'revoked';

/** The status shown to people (listing, `keys show`). */
export function keyStatus(key: { active: boolean; expiresAt: number | null; revokedAt: number | null }, now: number): KeyStatus {
  if (key.revokedAt !== null && key.revokedAt <= now) return 'revoked';
  if (key.expiresAt !== null && key.expiresAt <= now) return 'expired';
  return key.active ? 'active' : 'disabled';
}
