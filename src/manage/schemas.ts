/** TypeBox schemas of the management API (SPEC section 8): validation, serialization and the OpenAPI document. */
import { Type } from '@sinclair/typebox';
import { ALL_SCOPES } from '../core/scopes.js';
import { TIER_NAMES } from '../core/limits.js';
import { Timestamp } from '../api/schemas/common.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const Environment = Type.Union([Type.Literal('production'), Type.Literal('sandbox')]);
export const ScopeName = Type.String({ enum: ALL_SCOPES });
export const TierName = Type.String({ enum: TIER_NAMES, description: "Up to the org's max tier" });
const Scopes = Type.Array(ScopeName, { maxItems: ALL_SCOPES.length * 2, description: 'Scope names (SPEC section 3); none implies another' });
const AllowedIps = Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100, description: 'CIDRs or addresses; empty = any address' });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const LimitOverrides = Type.Object(
  { per_minute: Type.Optional(Type.Union([Type.Integer(), Type.Null()])), per_day: Type.Optional(Type.Union([Type.Integer(), Type.Null()])) },
  { additionalProperties: false, description: 'Per-key limit overrides are set by operators (CLI) only; an admin sending this gets 403 forbidden' },
);

export const KeySecret = Type.Object({
  id: Type.String(),
  hint: Type.String(),
  created_at: Timestamp,
  retires_at: Nullable(Timestamp),
  last_used_at: Nullable(Timestamp),
  live: Type.Boolean(),
});

export const ApiKey = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    environment: Environment,
    org_id: Type.String(),
    tenant_id: Type.String(),
    scopes: Type.Array(Type.String()),
    tier: Type.String(),
    limits: Type.Object({ per_minute: Type.Integer(), per_day: Type.Integer() }),
    limit_overrides: Type.Object({ per_minute: Type.Union([Type.Integer(), Type.Null()]), per_day: Type.Union([Type.Integer(), Type.Null()]) }),
    status: Type.Union([Type.Literal('active'), Type.Literal('disabled'), Type.Literal('expired'), Type.Literal('revoked')]),
    active: Type.Boolean(),
    hint: Type.String({ description: 'Prefix, first 4 and last 4 characters, e.g. sa_live_AbCd...wxYZ' }),
    expires_at: Nullable(Timestamp),
    allowed_ips: Type.Array(Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
    revoked_at: Nullable(Timestamp),
    last_used_at: Nullable(Timestamp),
    secrets: Type.Array(KeySecret, { description: 'The current secret and any still in (or past) a rotation grace, newest first, each with its own last use' }),
  },
);

export const CreatedApiKey = Type.Composite([ApiKey, Type.Object({ key: Type.String({ description: 'The full key. Shown exactly once: store it now.' }) })]);

export const KeyList = Type.Object({ data: Type.Array(ApiKey) });

export const KeyListQuery = Type.Object({ environment: Type.Optional(Type.Union([Environment, Type.Literal('')], { description: 'production or sandbox; empty or absent = both' })) }, { additionalProperties: false });

export const CreateKeyBody = Type.Object(
  {
    name: Name,
    environment: Environment,
    scopes: Scopes,
    tier: Type.Optional(TierName),
    expires_at: Type.Optional(Type.Union([Timestamp, Type.Null()])),
    allowed_ips: Type.Optional(AllowedIps),
    limits: Type.Optional(LimitOverrides),
  },
  { additionalProperties: false },
);

export const PatchKeyBody = Type.Object(
  {
    name: Type.Optional(Name),
    scopes: Type.Optional(Scopes),
    tier: Type.Optional(TierName),
    active: Type.Optional(Type.Boolean({ description: 'false disables the key (reversible); true enables it again' })),
    expires_at: Type.Optional(Type.Union([Timestamp, Type.Null()])),
    allowed_ips: Type.Optional(AllowedIps),
    limits: Type.Optional(LimitOverrides),
  },
  { additionalProperties: false },
);

export const RotateBody = Type.Object(
  { grace_period_seconds: Type.Integer({ minimum: 0, maximum: 7 * 86_400, default: 0, description: 'How long the old secret keeps working (0 = stops at once, at most 7 days)' }) },
  { additionalProperties: false },
);

export const SignInBody = Type.Object(
  { email: Type.String({ minLength: 3, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);

export const SessionInfo = Type.Object({
  admin: Type.Object({ id: Type.String(), email: Type.String() }),
  org: Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String(), max_tier: Type.String() }),
  csrf_token: Type.String({ description: 'Send as X-CSRF-Token on mutating calls when the Origin header cannot be relied on' }),
  expires_at: Type.String({ format: 'date-time', description: 'When the session ends if left idle (sliding 1 h, at most 12 h after sign-in)' }),
});

export const AuditEntry = Type.Object({
  id: Type.String(),
  action: Type.String(),
  key_id: Nullable(Type.String()),
  tenant_id: Nullable(Type.String()),
  actor: Type.Object({ type: Type.String(), id: Nullable(Type.String()), email: Type.Optional(Type.String({ description: "The admin's email, for changes made in the dashboard or management API" })) }),
  source_ip: Nullable(Type.String()),
  before: Type.Unknown(),
  after: Type.Unknown(),
  created_at: Timestamp,
});
