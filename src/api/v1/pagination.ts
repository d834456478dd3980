/**
 * Keyset pagination shared by every list: ids are time-ordered (core/ids.ts),
 * so "newest first" is `id desc` and the cursor is the last id seen, which stays
 * correct while rows are inserted and never scans an offset.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ApiError } from '../../core/problems.js';
import type { PageRequest } from '../../store/keyset.js';

export const PageQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size, 1-100' }),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'The `next_cursor` of the previous page' })),
});
export type PageQuery = Static<typeof PageQuery>;

export function Page<T extends ReturnType<typeof Type.Object>>(item: T) {
  return Type.Object({ data: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) });
}

export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

/** The id after which the page starts, or undefined for the first page. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[a-z]{2,4}_[0-9a-z]{26}$/.test(id)) {
    throw new ApiError('invalid_request', 'cursor is not a cursor this API returned', { errors: [{ path: 'querystring.cursor', message: 'is invalid' }] });
  }
  return id;
}

/** Rows fetched with `limit + 1` → the page and its next cursor. */
export function toPage<R extends { id: string }, V>(rows: R[], limit: number, view: (row: R) => V): { data: V[]; next_cursor: string | null } {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  return { data: pageRows.map(view), next_cursor: more ? encodeCursor(pageRows[pageRows.length - 1]!.id) : null };
}

/** A validated `?limit=&cursor=` query → what a repository's keyset query takes. */
export function pageRequest(query: PageQuery, order: PageRequest['order'] = 'desc'): PageRequest {
  return { limit: query.limit, after: decodeCursor(query.cursor), order };
}
