/** Contacts, conversations and messages, with the indexes their lists and filters use, and the daily counters analytics reads. */
import type { Migration } from 'kysely';
import { EPOCH_MS } from '../dialect.js';

export const tenantDataMigration: Migration = {
  async up(db) {
    await db.schema
      .createTable('contacts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('email', 'text')
      .addColumn('name', 'text')
      .addColumn('phone', 'text')
      .addColumn('external_id', 'text')
      .addColumn('attributes', 'text', (c) => c.notNull())
      .addColumn('created_at', EPOCH_MS, (c) => c.notNull())
      .addColumn('updated_at', EPOCH_MS, (c) => c.notNull())
      // NULLs are distinct in both engines: many contacts may have no email.
      .addUniqueConstraint('contacts_tenant_email', ['tenant_id', 'email'])
      .addUniqueConstraint('contacts_tenant_external_id', ['tenant_id', 'external_id'])
      .execute();
    await db.schema.createIndex('contacts_tenant_id').on('contacts').columns(['tenant_id', 'id']).execute();

    await db.schema
      .createTable('conversations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('subject', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', EPOCH_MS, (c) => c.notNull())
      .addColumn('updated_at', EPOCH_MS, (c) => c.notNull())
      .addColumn('first_response_ms', EPOCH_MS)
      .execute();
    await db.schema.createIndex('conversations_tenant_id').on('conversations').columns(['tenant_id', 'id']).execute();
    await db.schema.createIndex('conversations_tenant_contact').on('conversations').columns(['tenant_id', 'contact_id', 'id']).execute();
    await db.schema.createIndex('conversations_tenant_status').on('conversations').columns(['tenant_id', 'status', 'id']).execute();
    // The median first response reads a created_at range and nothing but this index.
    await db.schema.createIndex('conversations_tenant_created').on('conversations').columns(['tenant_id', 'created_at', 'first_response_ms']).execute();

    await db.schema
      .createTable('messages')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id'))
      .addColumn('author_type', 'text', (c) => c.notNull())
      .addColumn('author_id', 'text')
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', EPOCH_MS, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('messages_conversation_id').on('messages').columns(['conversation_id', 'id']).execute();

    // Analytics counters, updated in the transaction of each write (see analytics-repo.ts).
    await db.schema
      .createTable('daily_conversation_counts')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('day', 'integer', (c) => c.notNull())
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('conversations', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('daily_conversation_counts_pk', ['tenant_id', 'day', 'channel', 'status'])
      .execute();
    await db.schema
      .createTable('daily_message_counts')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('day', 'integer', (c) => c.notNull())
      .addColumn('messages', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('daily_message_counts_pk', ['tenant_id', 'day'])
      .execute();

    // Pruning expired idempotency records scans by age.
    await db.schema.createIndex('idempotency_keys_created').on('idempotency_keys').column('created_at').execute();
  },
};
