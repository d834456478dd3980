/**
 * Knowledge-base rules: slugs unique per tenant, upsert by slug, tenant-scoped
 * everything. Each change commits with its webhook event (article.published when
 * an article becomes published, article.updated for any other change to an
 * article that is or was published, article.deleted), so none is lost.
 */
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import { ApiError } from '../core/problems.js';
import { isUniqueViolation } from '../store/dialect.js';
import type { Store } from '../store/db.js';
import type { Db } from '../store/keys-repo.js';
import type { PageRequest } from '../store/keyset.js';
import { inTransaction } from '../store/transactions.js';
import { enqueueEvent } from '../webhooks/outbox.js';
import { type ArticleRow, deleteArticle, findArticle, insertArticle, listArticles, updateArticle } from '../store/articles-repo.js';
import { slugify } from './orgs.js';

export interface ArticleInput {
  title: string;
  body: string;
  slug?: string | undefined;
  collection?: string | null | undefined;
  status?: 'draft' | 'published' | undefined;
}

export interface Article {
  id: string;
  slug: string;
  title: string;
  body: string;
  collection: string | null;
  status: 'draft' | 'published';
  created_at: string;
  updated_at: string;
}

export function articleView(row: ArticleRow): Article {
  return {
    id: row.id,
    slug: row.slug,
    title: row.title,
    body: row.body,
    collection: row.collection,
    status: row.status,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

const notFound = (what: string) => new ApiError('not_found', `no article ${what}`);
const slugTaken = (slug: string) => new ApiError('conflict', `an article with slug "${slug}" already exists`, { errors: [{ path: 'body.slug', message: 'is already in use' }] });

export class KnowledgeService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async list(tenantId: string, page: PageRequest): Promise<ArticleRow[]> {
    return listArticles(this.store.db, tenantId, page);
  }

  async get(tenantId: string, by: { id: string } | { slug: string }): Promise<Article> {
    const row = await findArticle(this.store.db, tenantId, by);
    if (!row) throw notFound('id' in by ? by.id : `with slug "${by.slug}"`);
    return articleView(row);
  }

  async create(tenantId: string, input: ArticleInput): Promise<Article> {
    return inTransaction(this.store.db, async (tx) => {
      const now = this.clock.now();
      const slug = input.slug ?? (await freeSlug(tx, tenantId, slugify(input.title, 'article')));
      const row: ArticleRow = {
        id: newId('art', now),
        tenant_id: tenantId,
        slug,
        title: input.title,
        body: input.body,
        collection: input.collection ?? null,
        status: input.status ?? 'draft',
        created_at: now,
        updated_at: now,
      };
      await write(() => insertArticle(tx, row), slug);
      if (row.status === 'published') await enqueueEvent(tx, { tenantId, type: 'article.published', data: articleView(row) }, now);
      return articleView(row);
    });
  }

  async update(tenantId: string, id: string, patch: Partial<ArticleInput>): Promise<Article> {
    return inTransaction(this.store.db, async (tx) => {
      const existing = await findArticle(tx, tenantId, { id });
      if (!existing) throw notFound(id);
      const changes: Partial<ArticleRow> = { updated_at: this.clock.now() };
      if (patch.title !== undefined) changes.title = patch.title;
      if (patch.body !== undefined) changes.body = patch.body;
      if (patch.slug !== undefined) changes.slug = patch.slug;
      if (patch.collection !== undefined) changes.collection = patch.collection;
      if (patch.status !== undefined) changes.status = patch.status;
      await write(() => updateArticle(tx, tenantId, id, changes), patch.slug ?? '');
      return changed(tx, existing, { ...existing, ...changes });
    });
  }

  async remove(tenantId: string, id: string): Promise<void> {
    await inTransaction(this.store.db, async (tx) => {
      const existing = await findArticle(tx, tenantId, { id });
      if (!existing || !(await deleteArticle(tx, tenantId, id))) throw notFound(id);
      await enqueueEvent(tx, { tenantId, type: 'article.deleted', data: { id: existing.id, slug: existing.slug } }, this.clock.now());
    });
  }

  /** Replaces the article with this slug, or creates it. */
  async upsert(tenantId: string, slug: string, input: ArticleInput): Promise<{ article: Article; created: boolean }> {
    if (input.slug !== undefined && input.slug !== slug) {
      throw new ApiError('invalid_request', 'body.slug differs from the slug in the path', { errors: [{ path: 'body.slug', message: 'must equal the path slug' }] });
    }
    const attempt = () =>
      inTransaction(this.store.db, async (tx) => {
        const existing = await findArticle(tx, tenantId, { slug });
        if (!existing) return { article: await this.create(tenantId, { ...input, slug }), created: true };
        const replaced: ArticleRow = { ...existing, title: input.title, body: input.body, collection: input.collection ?? null, status: input.status ?? 'draft', updated_at: this.clock.now() };
        await updateArticle(tx, tenantId, existing.id, replaced);
        return { article: await changed(tx, existing, replaced), created: false };
      });
    try {
      return await attempt();
    } catch (error) {
      // A concurrent upsert created it first (its insert won the unique slug): replace it instead.
      if (error instanceof ApiError && error.code === 'conflict') return attempt();
      throw error;
    }
  }
}

/** The webhook event for a change from `before` to `after`, written in the change's transaction. */
async function changed(tx: Db, before: ArticleRow, after: ArticleRow): Promise<Article> {
  const view = articleView(after);
  const event = { tenantId: before.tenant_id, data: view };
  if (after.status === 'published' && before.status !== 'published') await enqueueEvent(tx, { ...event, type: 'article.published' }, after.updated_at);
  else if (after.status === 'published' || before.status === 'published') await enqueueEvent(tx, { ...event, type: 'article.updated' }, after.updated_at);
  return view;
}

async function write(statement: () => Promise<void>, slug: string): Promise<void> {
  try {
    await statement();
  } catch (error) {
    if (isUniqueViolation(error)) throw slugTaken(slug);
    throw error;
  }
}

async function freeSlug(tx: Db, tenantId: string, base: string): Promise<string> {
  for (let i = 1; i < 100; i++) {
    const candidate = i === 1 ? base : `${base}-${i}`;
    if (!(await findArticle(tx, tenantId, { slug: candidate }))) return candidate;
  }
  return `${base}-${Date.now().toString(36)}`;
}
