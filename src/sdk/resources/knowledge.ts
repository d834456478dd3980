/** `/v1/knowledge/articles`: `knowledge:read` to read, `knowledge:write` to change. */
import type { Transport } from '../transport.js';
import type { Article, ArticleInput, ArticlePatch } from '../types.js';
import { type CallOptions, type Collection, collection, segment, upsert } from './collection.js';

export interface ArticlesResource extends Collection<Article, ArticleInput, ArticlePatch, Record<never, never>> {
  getBySlug(slug: string, opts?: CallOptions): Promise<Article>;
  /** Creates the article with this slug or replaces it. */
  upsertBySlug(slug: string, input: ArticleInput, opts?: CallOptions): Promise<{ article: Article; created: boolean }>;
}

export function articlesResource(transport: Transport): ArticlesResource {
  const path = '/v1/knowledge/articles';
  return {
    ...collection<Article, ArticleInput, ArticlePatch>(transport, path),
    getBySlug: async (slug, opts = {}) => (await transport.request<Article>('GET', `${path}/by-slug/${segment(slug)}`, { signal: opts.signal })).data,
    upsertBySlug: async (slug, input, opts) => {
      const { data, created } = await upsert<Article>(transport, `${path}/by-slug/${segment(slug)}`, input, opts);
      return { article: data, created };
    },
  };
}
