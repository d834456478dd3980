import type { Migration } from 'kysely';
import { type DialectName, EPOCH_MS, withSerialKey } from '../dialect.js';

export function coreMigration(dialect: DialectName): Migration {
  return {
    async up(db) {
      await db.schema
        .createTable('orgs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('max_tier', 'text', (c) => c.notNull())
        .addColumn('created_at', EPOCH_MS, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('tenants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
        .addColumn('environment', 'text', (c) => c.notNull())
        .addColumn('created_at', EPOCH_MS, (c) => c.notNull())
        .addUniqueConstraint('tenants_org_env', ['org_id', 'environment'])
        .execute();
      await db.schema
        .createTable('admins')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', EPOCH_MS, (c) => c.notNull())
        .addColumn('updated_at', EPOCH_MS, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('environment', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('tier', 'text', (c) => c.notNull())
        .addColumn('per_minute', 'integer')
        .addColumn('per_day', 'integer')
        .addColumn('active', 'integer', (c) => c.notNull())
        .addColumn('expires_at', EPOCH_MS)
        .addColumn('allowed_ips', 'text', (c) => c.notNull())
        .addColumn('revoked_at', EPOCH_MS)
        .addColumn('created_at', EPOCH_MS, (c) => c.notNull())
        .addColumn('updated_at', EPOCH_MS, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('api_keys_tenant').on('api_keys').columns(['tenant_id', 'id']).execute();
      await db.schema
        .createTable('api_key_secrets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('key_id', 'text', (c) => c.notNull().references('api_keys.id'))
        .addColumn('digest', 'text', (c) => c.notNull().unique())
        .addColumn('hint', 'text', (c) => c.notNull())
        .addColumn('created_at', EPOCH_MS, (c) => c.notNull())
        .addColumn('retires_at', EPOCH_MS)
        .addColumn('last_used_at', EPOCH_MS)
        .execute();
      await db.schema.createIndex('api_key_secrets_key').on('api_key_secrets').column('key_id').execute();
      await withSerialKey(dialect, db.schema.createTable('key_changes'), 'seq')
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('digest', 'text')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('created_at', EPOCH_MS, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('audit_log')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('org_id', 'text', (c) => c.notNull())
        .addColumn('tenant_id', 'text')
        .addColumn('key_id', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('actor_type', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('source_ip', 'text')
        .addColumn('before_json', 'text')
        .addColumn('after_json', 'text')
        .addColumn('created_at', EPOCH_MS, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_log_org').on('audit_log').columns(['org_id', 'id']).execute();
      await db.schema
        .createTable('articles')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('slug', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('collection', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', EPOCH_MS, (c) => c.notNull())
        .addColumn('updated_at', EPOCH_MS, (c) => c.notNull())
        .addUniqueConstraint('articles_tenant_slug', ['tenant_id', 'slug'])
        .execute();
      await db.schema.createIndex('articles_tenant_id').on('articles').columns(['tenant_id', 'id']).execute();
      await db.schema
        .createTable('idempotency_keys')
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('idempotency_key', 'text', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('response_body', 'text')
        .addColumn('created_at', EPOCH_MS, (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['key_id', 'idempotency_key'])
        .execute();
      await withSerialKey(dialect, db.schema.createTable('usage_events'), 'id')
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('secret_id', 'text')
        .addColumn('ts', EPOCH_MS, (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('route', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('latency_ms', 'real', (c) => c.notNull())
        .addColumn('ip', 'text')
        .execute();
      await db.schema.createIndex('usage_events_key_ts').on('usage_events').columns(['key_id', 'ts']).execute();
      await db.schema
        .createTable('node_heartbeats')
        .addColumn('node_id', 'text', (c) => c.primaryKey())
        .addColumn('started_at', EPOCH_MS, (c) => c.notNull())
        .addColumn('seen_at', EPOCH_MS, (c) => c.notNull())
        .execute();
    },
  };
}
