/**
 * Contact rules: email and external_id unique per tenant (409 naming the field),
 * bounded attributes, upsert by external_id, and no silent loss of
 * conversations on delete. Every mutation runs in one transaction, with its
 * webhook event (contact.created / contact.updated / contact.deleted).
 */
import { type Attributes, attributeErrors, mergeAttributes } from '../core/attributes.js';
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import { ApiError } from '../core/problems.js';
import { type ContactFilter, type ContactRow, deleteContact, findContact, hasConversations, insertContact, insertContactIfAbsent, listContacts, updateContact } from '../store/contacts-repo.js';
import { uncountContact } from '../store/analytics-repo.js';
import type { Store } from '../store/db.js';
import { violatedUniqueColumns } from '../store/dialect.js';
import type { Db } from '../store/keys-repo.js';
import type { PageRequest } from '../store/keyset.js';
import { inTransaction } from '../store/transactions.js';
import { enqueueEvent } from '../webhooks/outbox.js';

export interface ContactInput {
  email?: string | null | undefined;
  name?: string | null | undefined;
  phone?: string | null | undefined;
  external_id?: string | null | undefined;
  attributes?: Attributes | undefined;
}

export interface Contact {
  id: string;
  email: string | null;
  name: string | null;
  phone: string | null;
  external_id: string | null;
  attributes: Attributes;
  created_at: string;
  updated_at: string;
}

export function contactView(row: ContactRow): Contact {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    phone: row.phone,
    external_id: row.external_id,
    attributes: JSON.parse(row.attributes) as Attributes,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

export const contactNotFound = (id: string, path?: string) => new ApiError('not_found', `no contact ${id}`, path ? { errors: [{ path, message: 'no such contact' }] } : {});

/** A unique violation on contacts → 409 naming the field; anything else unchanged. */
export function contactConflict(error: unknown): unknown {
  const columns = violatedUniqueColumns(error);
  const field = columns.includes('email') ? 'email' : columns.includes('external_id') ? 'external_id' : null;
  if (!field) return error;
  return new ApiError('conflict', `another contact in this environment already has this ${field}`, { errors: [{ path: `body.${field}`, message: 'is already in use' }] });
}

function checkAttributes(attributes: Attributes): void {
  const errors = attributeErrors(attributes);
  if (errors.length > 0) throw new ApiError('invalid_request', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });
}

export class ContactService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async list(tenantId: string, filter: ContactFilter, page: PageRequest): Promise<ContactRow[]> {
    return listContacts(this.store.db, tenantId, { ...filter, email: filter.email === undefined ? undefined : normalizeEmail(filter.email) }, page);
  }

  async get(tenantId: string, id: string): Promise<Contact> {
    const row = await findContact(this.store.db, tenantId, { id });
    if (!row) throw contactNotFound(id);
    return contactView(row);
  }

  async create(tenantId: string, input: ContactInput): Promise<Contact> {
    return inTransaction(this.store.db, (tx) => this.insert(tx, tenantId, input));
  }

  /** Inserts a new contact inside the caller's transaction (the API channel creates contacts too). */
  async insert(tx: Db, tenantId: string, input: ContactInput): Promise<Contact> {
    const row = this.newRow(tenantId, input);
    try {
      await insertContact(tx, row);
    } catch (error) {
      throw contactConflict(error);
    }
    await enqueueEvent(tx, { tenantId, type: 'contact.created', data: contactView(row) }, row.created_at);
    return contactView(row);
  }

  /** Changes the given fields; attributes merge (a key set to null is removed). */
  async update(tenantId: string, id: string, patch: ContactInput): Promise<Contact> {
    return inTransaction(this.store.db, async (tx) => {
      const existing = await findContact(tx, tenantId, { id });
      if (!existing) throw contactNotFound(id);
      const changes: Partial<ContactRow> = { updated_at: this.clock.now() };
      if (patch.email !== undefined) changes.email = patch.email === null ? null : normalizeEmail(patch.email);
      if (patch.name !== undefined) changes.name = patch.name;
      if (patch.phone !== undefined) changes.phone = patch.phone;
      if (patch.external_id !== undefined) changes.external_id = patch.external_id;
      if (patch.attributes !== undefined) {
        const merged = mergeAttributes(JSON.parse(existing.attributes) as Attributes, patch.attributes);
        checkAttributes(merged);
        changes.attributes = JSON.stringify(merged);
      }
      await this.write(tx, tenantId, id, changes);
      return this.updated(tx, { ...existing, ...changes });
    });
  }

  /** Replaces the contact with this external_id (200), or creates it (201). */
  async upsert(tenantId: string, externalId: string, input: ContactInput): Promise<{ contact: Contact; created: boolean }> {
    if (input.external_id != null && input.external_id !== externalId) {
      throw new ApiError('invalid_request', 'body.external_id differs from the external_id in the path', { errors: [{ path: 'body.external_id', message: 'must equal the path external_id' }] });
    }
    return inTransaction(this.store.db, async (tx) => {
      const { contact: existing, created } = await this.findOrCreate(tx, tenantId, { ...input, external_id: externalId }, 'body');
      if (created) return { contact: contactView(existing), created };
      const attributes = input.attributes ?? {};
      checkAttributes(attributes);
      const replaced: ContactRow = {
        ...existing,
        email: input.email == null ? null : normalizeEmail(input.email),
        name: input.name ?? null,
        phone: input.phone ?? null,
        attributes: JSON.stringify(attributes),
        updated_at: this.clock.now(),
      };
      await this.write(tx, tenantId, existing.id, replaced);
      return { contact: await this.updated(tx, replaced), created: false };
    });
  }

  async remove(tenantId: string, id: string, cascade: boolean): Promise<void> {
    await inTransaction(this.store.db, async (tx) => {
      if (!cascade && (await hasConversations(tx, tenantId, id))) {
        throw new ApiError('conflict', `contact ${id} has conversations; delete with ?cascade=true to delete them too`);
      }
      if (cascade) await uncountContact(tx, tenantId, id);
      if (!(await deleteContact(tx, tenantId, id))) throw contactNotFound(id);
      await enqueueEvent(tx, { tenantId, type: 'contact.deleted', data: { id } }, this.clock.now());
    });
  }

  /**
   * The contact with this external_id (else email), created with `input` when
   * there is none, inside the caller's transaction. A concurrent creator of the
   * same contact wins and its contact is used; another contact holding the
   * email is 409 naming `<path>.email`.
   */
  async findOrCreate(tx: Db, tenantId: string, input: ContactInput, path: string): Promise<{ contact: ContactRow; created: boolean }> {
    const lookup = (): Promise<ContactRow | undefined> =>
      input.external_id != null ? findContact(tx, tenantId, { external_id: input.external_id }) : findContact(tx, tenantId, { email: normalizeEmail(input.email ?? '') });
    const existing = await lookup();
    if (existing) return { contact: existing, created: false };
    const row = this.newRow(tenantId, input);
    if (await insertContactIfAbsent(tx, row)) {
      await enqueueEvent(tx, { tenantId, type: 'contact.created', data: contactView(row) }, row.created_at);
      return { contact: row, created: true };
    }
    const raced = await lookup();
    if (raced) return { contact: raced, created: false };
    throw new ApiError('conflict', 'another contact in this environment already has this email', { errors: [{ path: `${path}.email`, message: 'is already in use' }] });
  }

  private async updated(tx: Db, row: ContactRow): Promise<Contact> {
    const view = contactView(row);
    await enqueueEvent(tx, { tenantId: row.tenant_id, type: 'contact.updated', data: view }, row.updated_at);
    return view;
  }

  private newRow(tenantId: string, input: ContactInput): ContactRow {
    const attributes = input.attributes ?? {};
    checkAttributes(attributes);
    const now = this.clock.now();
    return {
      id: newId('ct', now),
      tenant_id: tenantId,
      email: input.email == null ? null : normalizeEmail(input.email),
      name: input.name ?? null,
      phone: input.phone ?? null,
      external_id: input.external_id ?? null,
      attributes: JSON.stringify(attributes),
      created_at: now,
      updated_at: now,
    };
  }

  private async write(tx: Db, tenantId: string, id: string, changes: Partial<ContactRow>): Promise<void> {
    try {
      await updateContact(tx, tenantId, id, changes);
    } catch (error) {
      throw contactConflict(error);
    }
  }
}
