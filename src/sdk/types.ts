/**
 * Resource types, derived from the server's own TypeBox schemas so they cannot
 * drift from what the API validates and serialises. Type-only imports: the
 * emitted JavaScript of the SDK does not load TypeBox (test/sdk/bundle.test.ts).
 */
import type { Static } from '@sinclair/typebox';
import type * as knowledge from '../api/schemas/knowledge.js';
import type * as me from '../api/schemas/me.js';

export type Me = Static<typeof me.Me>;

export type Article = Static<typeof knowledge.Article>;
export type ArticleInput = Static<typeof knowledge.ArticleInput>;
export type ArticlePatch = Static<typeof knowledge.ArticlePatch>;
