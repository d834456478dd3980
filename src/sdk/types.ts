/**
 * Resource types, derived from the server's own TypeBox schemas so they cannot
 * drift from what the API validates and serialises. Type-only imports: the
 * emitted JavaScript of the SDK does not load TypeBox (test/sdk/bundle.test.ts).
 */
import type { Static } from '@sinclair/typebox';
import type * as analytics from '../api/schemas/analytics.js';
import type * as contacts from '../api/schemas/contacts.js';
import type * as conversations from '../api/schemas/conversations.js';
import type * as knowledge from '../api/schemas/knowledge.js';
import type * as me from '../api/schemas/me.js';

export type Me = Static<typeof me.Me>;

export type Article = Static<typeof knowledge.Article>;
export type ArticleInput = Static<typeof knowledge.ArticleInput>;
export type ArticlePatch = Static<typeof knowledge.ArticlePatch>;

export type Contact = Static<typeof contacts.Contact>;
export type ContactInput = Static<typeof contacts.ContactInput>;
export type ContactPatch = Static<typeof contacts.ContactPatch>;
export type ContactFilters = Static<typeof contacts.ContactListQuery>;

export type Conversation = Static<typeof conversations.Conversation>;
export type ConversationInput = Static<typeof conversations.ConversationInput>;
export type ConversationPatch = Static<typeof conversations.ConversationPatch>;
export type ConversationFilters = Static<typeof conversations.ConversationListQuery>;
export type Message = Static<typeof conversations.Message>;
export type MessageInput = Static<typeof conversations.MessageInput>;
export type ApiChannelInput = Static<typeof conversations.ApiChannelInput>;

export type AnalyticsQuery = Static<typeof analytics.AnalyticsQuery>;
export type ConversationAnalytics = Static<typeof analytics.ConversationAnalytics>;
