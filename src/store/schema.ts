/**
 * The one schema, as Kysely sees it. Times are epoch milliseconds, booleans are
 * 0/1 integers and structured values are JSON text, so the same rows and queries
 * work on SQLite and PostgreSQL alike.
 */
import type { Generated } from 'kysely';

export interface OrgsTable {
  id: string;
  slug: string;
  name: string;
  max_tier: string;
  created_at: number;
}

export interface TenantsTable {
  id: string;
  org_id: string;
  environment: 'production' | 'sandbox';
  created_at: number;
}

export interface AdminsTable {
  id: string;
  org_id: string;
  email: string;
  password_hash: string;
  created_at: number;
  updated_at: number;
}

export interface ApiKeysTable {
  id: string;
  org_id: string;
  tenant_id: string;
  environment: 'production' | 'sandbox';
  name: string;
  /** JSON array of scope names. */
  scopes: string;
  tier: string;
  per_minute: number | null;
  per_day: number | null;
  active: number;
  expires_at: number | null;
  /** JSON array of CIDR strings. */
  allowed_ips: string;
  revoked_at: number | null;
  created_at: number;
  updated_at: number;
  /** When the first use after expiry was audited; cleared when the expiry changes (migration 003). */
  expiry_audited_at: Generated<number | null>;
}

export interface ApiKeySecretsTable {
  id: string;
  key_id: string;
  /** SHA-256 hex of the full key: the only stored form of the secret. */
  digest: string;
  hint: string;
  created_at: number;
  /** Null for the current secret; for a rotated-out one, when its grace ends. */
  retires_at: number | null;
}

/** When a secret was last used, exact to the minute; no row for a secret never used. */
export interface ApiKeyLastUseTable {
  secret_id: string;
  last_used_at: number;
}

/** Append-only feed of key changes that every node polls to invalidate its cache. */
export interface KeyChangesTable {
  seq: Generated<number>;
  key_id: string;
  /** Set when a new secret appears, so nodes drop it from their negative cache. */
  digest: string | null;
  kind: string;
  created_at: number;
}

export interface AuditLogTable {
  id: string;
  org_id: string;
  tenant_id: string | null;
  key_id: string | null;
  action: string;
  actor_type: 'admin' | 'operator' | 'system' | 'api_key';
  actor_id: string | null;
  source_ip: string | null;
  before_json: string | null;
  after_json: string | null;
  created_at: number;
}

export interface ArticlesTable {
  id: string;
  tenant_id: string;
  slug: string;
  title: string;
  body: string;
  collection: string | null;
  status: 'draft' | 'published';
  created_at: number;
  updated_at: number;
}

export interface ContactsTable {
  id: string;
  tenant_id: string;
  /** Lowercased, so uniqueness per tenant ignores case. */
  email: string | null;
  name: string | null;
  phone: string | null;
  external_id: string | null;
  /** JSON object. */
  attributes: string;
  created_at: number;
  updated_at: number;
}

export interface ConversationsTable {
  id: string;
  tenant_id: string;
  contact_id: string;
  channel: 'api' | 'email' | 'chat' | 'phone';
  subject: string | null;
  status: 'open' | 'snoozed' | 'closed';
  created_at: number;
  updated_at: number;
  /** Set by the first agent message (ms after created_at), so analytics reads one column. */
  first_response_ms: number | null;
}

export interface MessagesTable {
  id: string;
  tenant_id: string;
  conversation_id: string;
  author_type: 'contact' | 'agent' | 'bot';
  author_id: string | null;
  body: string;
  created_at: number;
}

/** Conversations per tenant, UTC day of creation, channel and current status: kept in step by every write, so analytics reads at most days x channels x statuses rows. */
export interface DailyConversationCountsTable {
  tenant_id: string;
  /** Days since 1970-01-01 UTC. */
  day: number;
  channel: string;
  status: string;
  conversations: number;
}

/** Messages per tenant and UTC day of sending, kept in step by every write. */
export interface DailyMessageCountsTable {
  tenant_id: string;
  day: number;
  messages: number;
}

export interface IdempotencyKeysTable {
  key_id: string;
  idempotency_key: string;
  request_hash: string;
  /** Null while the first request is still running. */
  status_code: number | null;
  response_body: string | null;
  created_at: number;
}

/** The raw request log, a block of events per row (usage/event-blocks.ts). */
export interface UsageEventBlocksTable {
  id: Generated<number>;
  first_ts: number;
  last_ts: number;
  count: number;
  /** JSON, as usage/event-blocks.ts writes it. */
  events: string;
}

/** Histogram columns of a rollup row: `latency_h<i>` counts requests in bucket i of core/latency.ts. */
export const LATENCY_COLUMNS = [
  'latency_h0', 'latency_h1', 'latency_h2', 'latency_h3', 'latency_h4', 'latency_h5', 'latency_h6', 'latency_h7',
  'latency_h8', 'latency_h9', 'latency_h10', 'latency_h11', 'latency_h12', 'latency_h13', 'latency_h14',
] as const;
export type LatencyColumn = (typeof LATENCY_COLUMNS)[number];

/**
 * Usage per key, per minute or per UTC day, per route and exact status. Rows only
 * ever grow by `count = count + n`, so any number of writers can merge into them.
 */
export type UsageRollupsTable = {
  key_id: string;
  /** Minute rows are folded into hour rows after MINUTE_ROLLUP_DAYS, hour rows into day rows after HOUR_ROLLUP_DAYS (usage/retention.ts). */
  period: 'minute' | 'hour' | 'day';
  bucket_start: number;
  /** `METHOD /v1/template`, as in the request log. */
  route: string;
  status: number;
  /** The scopes the route requires, space-separated (empty for none): what `unused_scopes` is computed from. */
  required_scopes: string;
  count: number;
  latency_ms_sum: number;
} & { [C in LatencyColumn]: number };

export interface NodeHeartbeatsTable {
  node_id: string;
  started_at: number;
  seen_at: number;
}

/** A signed-in admin. The token itself lives only in the browser's cookie; this row keeps its SHA-256. */
export interface AdminSessionsTable {
  id: string;
  admin_id: string;
  org_id: string;
  token_digest: string;
  created_at: number;
  last_seen_at: number;
  /** Hard end regardless of activity. */
  absolute_expires_at: number;
  ip: string | null;
}

/** Failed sign-ins, one row per subject (`email:<sha256>` or `ip:<address>`), kept for the throttle window only. */
export interface LoginFailuresTable {
  id: Generated<number>;
  subject: string;
  created_at: number;
}

export interface WebhookEndpointsTable {
  id: string;
  org_id: string;
  tenant_id: string;
  environment: 'production' | 'sandbox';
  url: string;
  /** JSON array of event type names. */
  events: string;
  enabled: number;
  /** Why it was switched off: `admin`, `gone` (the receiver answered 410) or `failing`. */
  disabled_reason: string | null;
  /** The signing secret, sealed by webhooks/secrets.ts. */
  secret_sealed: string;
  /** The secret before the last rotation, still signing until `previous_secret_expires_at`. */
  previous_secret_sealed: string | null;
  previous_secret_expires_at: number | null;
  /** First failed attempt since the last success; null while healthy. */
  failing_since: number | null;
  created_at: number;
  updated_at: number;
}

/** The transactional outbox: written in the transaction of the change it reports. */
export interface WebhookEventsTable {
  id: string;
  tenant_id: string;
  type: string;
  /** The exact body sent: `{"type","timestamp","data"}`. */
  payload: string;
  created_at: number;
}

export interface WebhookDeliveriesTable {
  id: string;
  endpoint_id: string;
  event_id: string;
  tenant_id: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: number;
  /** While in the future, a node holds this delivery; after it, anyone may claim it again. */
  locked_until: number | null;
  /** The holder's claim; a node finishing after losing its claim changes nothing. */
  claim_token: string | null;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
}

export interface WebhookAttemptsTable {
  id: string;
  delivery_id: string;
  endpoint_id: string;
  attempt: number;
  started_at: number;
  latency_ms: number;
  status_code: number | null;
  /** The first bytes of the receiver's answer. */
  response_body: string | null;
  response_truncated: number;
  error: string | null;
}

export interface Database {
  orgs: OrgsTable;
  tenants: TenantsTable;
  admins: AdminsTable;
  api_keys: ApiKeysTable;
  api_key_secrets: ApiKeySecretsTable;
  api_key_last_use: ApiKeyLastUseTable;
  key_changes: KeyChangesTable;
  audit_log: AuditLogTable;
  articles: ArticlesTable;
  contacts: ContactsTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  daily_conversation_counts: DailyConversationCountsTable;
  daily_message_counts: DailyMessageCountsTable;
  idempotency_keys: IdempotencyKeysTable;
  usage_event_blocks: UsageEventBlocksTable;
  usage_rollups: UsageRollupsTable;
  node_heartbeats: NodeHeartbeatsTable;
  admin_sessions: AdminSessionsTable;
  login_failures: LoginFailuresTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}
