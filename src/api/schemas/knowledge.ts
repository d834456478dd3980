import { Type, type Static } from '@sinclair/typebox';
import { NOT_BLANK, Timestamp } from './common.js';

export const Slug = Type.String({ minLength: 1, maxLength: 200, pattern: '^[a-z0-9]+(?:[-_.][a-z0-9]+)*$', description: 'Lowercase letters and digits, joined by - _ or .' });
const Status = Type.Union([Type.Literal('draft'), Type.Literal('published')]);

export const Article = Type.Object(
  {
    id: Type.String(),
    slug: Type.String(),
    title: Type.String(),
    body: Type.String({ description: 'Markdown' }),
    collection: Type.Union([Type.String(), Type.Null()]),
    status: Status,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Article' },
);

export const ArticleInput = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 300, pattern: NOT_BLANK }),
    body: Type.String({ maxLength: 900_000 }),
    slug: Type.Optional(Slug),
    collection: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()])),
    status: Type.Optional(Status),
  },
  { additionalProperties: false },
);
export type ArticleInput = Static<typeof ArticleInput>;

export const ArticlePatch = Type.Partial(ArticleInput, { additionalProperties: false, minProperties: 1 });
