/** Knowledge-base articles. Every query is scoped by the tenant taken from the key. */
import type { Selectable } from 'kysely';
import type { Db } from './keys-repo.js';
import { type PageRequest, keysetPage } from './keyset.js';
import type { ArticlesTable } from './schema.js';

export type ArticleRow = Selectable<ArticlesTable>;

export async function listArticles(db: Db, tenantId: string, page: PageRequest): Promise<ArticleRow[]> {
  return keysetPage(db.selectFrom('articles').selectAll().where('tenant_id', '=', tenantId), page).execute();
}

export async function findArticle(db: Db, tenantId: string, by: { id: string } | { slug: string }): Promise<ArticleRow | undefined> {
  const q = db.selectFrom('articles').selectAll().where('tenant_id', '=', tenantId);
  return ('id' in by ? q.where('id', '=', by.id) : q.where('slug', '=', by.slug)).executeTakeFirst();
}

export async function insertArticle(db: Db, row: ArticleRow): Promise<void> {
  await db.insertInto('articles').values(row).execute();
}

export async function updateArticle(db: Db, tenantId: string, id: string, changes: Partial<ArticleRow>): Promise<void> {
  await db.updateTable('articles').set(changes).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function deleteArticle(db: Db, tenantId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('articles').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
