import { Type, type Static } from '@sinclair/typebox';
import { IdParam, NOT_BLANK, Timestamp } from './common.js';
import { ExternalId } from './contacts.js';

export const Channel = Type.Union([Type.Literal('api'), Type.Literal('email'), Type.Literal('chat'), Type.Literal('phone')]);
export const ConversationStatus = Type.Union([Type.Literal('open'), Type.Literal('snoozed'), Type.Literal('closed')]);
export const AuthorType = Type.Union([Type.Literal('contact'), Type.Literal('agent'), Type.Literal('bot')]);

const Subject = Type.String({ minLength: 1, maxLength: 500, pattern: NOT_BLANK });
const MessageBody = Type.String({ minLength: 1, maxLength: 100_000, pattern: NOT_BLANK });
const ContactIdString = IdParam('ct').properties.id;

export const Conversation = Type.Object(
  {
    id: Type.String(),
    contact_id: Type.String(),
    channel: Channel,
    subject: Type.Union([Type.String(), Type.Null()]),
    status: ConversationStatus,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Conversation' },
);

export const Message = Type.Object(
  {
    id: Type.String(),
    conversation_id: Type.String(),
    author: Type.Object({ type: AuthorType, id: Type.Union([Type.String(), Type.Null()]) }),
    body: Type.String(),
    created_at: Timestamp,
  },
  { $id: 'Message' },
);

export const Author = Type.Object(
  {
    type: AuthorType,
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: "For a contact, the conversation's contact id (the default); for an agent or bot, your id for them" })),
  },
  { additionalProperties: false },
);
export type Author = Static<typeof Author>;

export const MessageInput = Type.Object({ body: MessageBody, author: Author }, { additionalProperties: false });
export type MessageInput = Static<typeof MessageInput>;

export const ConversationInput = Type.Object(
  {
    contact_id: ContactIdString,
    subject: Type.Optional(Subject),
    channel: Type.Optional(Channel),
    message: Type.Optional(Type.Object({ body: MessageBody, author: Type.Optional(Author) }, { additionalProperties: false, description: "The first message; its author defaults to the contact" })),
  },
  { additionalProperties: false },
);
export type ConversationInput = Static<typeof ConversationInput>;

export const ConversationPatch = Type.Object(
  { status: Type.Optional(ConversationStatus), subject: Type.Optional(Type.Union([Subject, Type.Null()])) },
  { additionalProperties: false, minProperties: 1 },
);
export type ConversationPatch = Static<typeof ConversationPatch>;

export const ConversationListQuery = Type.Object({
  contact_id: Type.Optional(ContactIdString),
  status: Type.Optional(ConversationStatus),
});

export const ApiChannelInput = Type.Object(
  {
    contact: Type.Object(
      {
        id: Type.Optional(ContactIdString),
        email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
        external_id: Type.Optional(ExternalId),
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      },
      { additionalProperties: false, description: 'Who writes: an existing contact by id, or by external_id or email (looked up in that order, created when new with the given fields)' },
    ),
    subject: Type.Optional(Subject),
    message: Type.Object({ body: MessageBody }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
export type ApiChannelInput = Static<typeof ApiChannelInput>;
