/** `/v1/contacts`: `contacts:read` to read, `contacts:write` to change. */
import type { Transport } from '../transport.js';
import type { Contact, ContactFilters, ContactInput, ContactPatch } from '../types.js';
import { type CallOptions, type Collection, collection, segment, upsert } from './collection.js';

export interface ContactsResource extends Omit<Collection<Contact, ContactInput, ContactPatch, ContactFilters>, 'delete'> {
  /** A contact with conversations is 409 unless `cascade` also deletes them. */
  delete(id: string, opts?: CallOptions & { cascade?: boolean | undefined }): Promise<void>;
  /** Creates the contact with this external_id or replaces every field of it. */
  upsertByExternalId(externalId: string, input: ContactInput, opts?: CallOptions): Promise<{ contact: Contact; created: boolean }>;
}

export function contactsResource(transport: Transport): ContactsResource {
  const path = '/v1/contacts';
  const { delete: _plainDelete, ...common } = collection<Contact, ContactInput, ContactPatch, ContactFilters>(transport, path);
  return {
    ...common,
    delete: async (id, opts = {}) => {
      await transport.request<null>('DELETE', `${path}/${segment(id)}`, { query: { cascade: opts.cascade }, signal: opts.signal });
    },
    upsertByExternalId: async (externalId, input, opts) => {
      const { data, created } = await upsert<Contact>(transport, `${path}/by-external-id/${segment(externalId)}`, input, opts);
      return { contact: data, created };
    },
  };
}
