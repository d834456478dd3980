/**
 * Lists answer `{data, next_cursor}` (SPEC section 6). A Paginator sends
 * nothing until iterated, then follows `next_cursor` page by page:
 * `for await (const article of client.knowledge.articles.list()) ...`.
 */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

// A type alias, not an interface: it must fit the SDK's query-string record type.
export type ListParams = {
  /** Page size, 1-100; the SDK asks for 100 unless told otherwise, to spend fewer requests. */
  limit?: number | undefined;
  /** Start after this cursor (a `next_cursor` from an earlier page). */
  cursor?: string | undefined;
};

export const DEFAULT_PAGE_SIZE = 100;

export class Paginator<T> implements AsyncIterable<T> {
  constructor(private readonly fetchPage: (cursor: string | undefined) => Promise<Page<T>>, private readonly startCursor?: string) {}

  /** One page: the first, or the one after `cursor`. */
  page(cursor: string | undefined = this.startCursor): Promise<Page<T>> {
    return this.fetchPage(cursor);
  }

  async *pages(): AsyncGenerator<Page<T>, void, undefined> {
    let cursor = this.startCursor;
    do {
      const page = await this.fetchPage(cursor);
      yield page;
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.data;
  }

  /** Every item, at most `max` of them (a guard against loading a whole tenant by mistake). */
  async toArray(max = Number.POSITIVE_INFINITY): Promise<T[]> {
    const all: T[] = [];
    for await (const item of this) {
      if (all.length >= max) break;
      all.push(item);
    }
    return all;
  }
}
