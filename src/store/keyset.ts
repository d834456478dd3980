/**
 * Keyset pagination for every list: ids are time-ordered (core/ids.ts), so the
 * page after a cursor is `id < cursor` newest first (or `id > cursor` oldest
 * first). Rows inserted meanwhile never shift a page, and no offset is scanned.
 */
import { type SelectQueryBuilder, sql } from 'kysely';

export interface PageRequest {
  limit: number;
  /** The last id of the previous page. */
  after?: string | undefined;
  order?: 'desc' | 'asc';
}

/** Fetches one row more than the page so the caller knows whether another page follows. */
export function keysetPage<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>, page: PageRequest): SelectQueryBuilder<DB, TB, O> {
  const order = page.order ?? 'desc';
  const id = sql.ref<string>('id');
  const after = page.after === undefined ? query : query.where(id, order === 'desc' ? '<' : '>', page.after);
  return after.orderBy(id, order).limit(page.limit + 1);
}
