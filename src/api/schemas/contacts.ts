import { Type, type Static } from '@sinclair/typebox';
import { MAX_ATTRIBUTES, MAX_ATTRIBUTE_BYTES } from '../../core/attributes.js';
import { Timestamp } from './common.js';

export const ExternalId = Type.String({ minLength: 1, maxLength: 255, description: "Your system's id for this contact, unique per tenant" });
const Email = Type.String({ format: 'email', maxLength: 254, description: 'Unique per tenant, compared without case (stored lowercased)' });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const Attributes = Type.Record(Type.String({ minLength: 1, maxLength: 100 }), Type.Unknown(), {
  maxProperties: MAX_ATTRIBUTES,
  description: `Free-form JSON values: at most ${MAX_ATTRIBUTES} keys, each value at most ${MAX_ATTRIBUTE_BYTES} bytes as JSON`,
});

export const Contact = Type.Object(
  {
    id: Type.String(),
    email: Type.Union([Type.String(), Type.Null()]),
    name: Type.Union([Type.String(), Type.Null()]),
    phone: Type.Union([Type.String(), Type.Null()]),
    external_id: Type.Union([Type.String(), Type.Null()]),
    attributes: Type.Record(Type.String(), Type.Unknown()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Contact' },
);

const contactFields = {
  email: Type.Optional(Nullable(Email)),
  name: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200 }))),
  phone: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 50 }))),
  external_id: Type.Optional(Nullable(ExternalId)),
  attributes: Type.Optional(Attributes),
};

/** Create and upsert (upsert replaces every field, attributes included). */
export const ContactInput = Type.Object(contactFields, { additionalProperties: false });
export type ContactInput = Static<typeof ContactInput>;

export const ContactPatch = Type.Object(
  {
    ...contactFields,
    attributes: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 100 }), Type.Unknown(), {
        maxProperties: MAX_ATTRIBUTES,
        description: 'Merged into the existing attributes; a key set to null is removed',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ContactPatch = Static<typeof ContactPatch>;

export const ContactListQuery = Type.Object({
  email: Type.Optional(Type.String({ minLength: 1, maxLength: 254, description: 'Only the contact with this email (any case)' })),
  external_id: Type.Optional(ExternalId),
});

export const ContactDeleteQuery = Type.Object({
  cascade: Type.Boolean({ default: false, description: "Also delete the contact's conversations and messages; without it a contact with conversations is 409" }),
});
