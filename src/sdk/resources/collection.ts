/** The five calls every tenant API collection has, written once: list, get, create, update, delete. */
import { DEFAULT_PAGE_SIZE, type ListParams, type Page, Paginator } from '../paginate.js';
import type { Query, Transport } from '../transport.js';

export interface CallOptions {
  signal?: AbortSignal | undefined;
}

export interface CreateOptions extends CallOptions {
  /** Sent as `Idempotency-Key`; a fresh one per call when omitted, reused by every retry of that call. */
  idempotencyKey?: string | undefined;
}

export const segment = (value: string) => encodeURIComponent(value);

/** A Paginator over `GET path` with the given filters. */
export function paginate<T>(transport: Transport, path: string, params: ListParams & Query = {}, opts: CallOptions = {}): Paginator<T> {
  const { limit, cursor, ...filters } = params;
  return new Paginator<T>(
    async (next) => (await transport.request<Page<T>>('GET', path, { query: { ...filters, limit: limit ?? DEFAULT_PAGE_SIZE, cursor: next }, signal: opts.signal })).data,
    cursor,
  );
}

export interface Collection<T, Input, Patch, Filters extends Query> {
  list(params?: ListParams & Filters, opts?: CallOptions): Paginator<T>;
  get(id: string, opts?: CallOptions): Promise<T>;
  create(input: Input, opts?: CreateOptions): Promise<T>;
  update(id: string, patch: Patch, opts?: CallOptions): Promise<T>;
  delete(id: string, opts?: CallOptions): Promise<void>;
}

export function collection<T, Input, Patch, Filters extends Query = Record<never, never>>(transport: Transport, path: string): Collection<T, Input, Patch, Filters> {
  return {
    list: (params, opts) => paginate<T>(transport, path, params, opts),
    get: async (id, opts = {}) => (await transport.request<T>('GET', `${path}/${segment(id)}`, { signal: opts.signal })).data,
    create: async (input, opts = {}) => (await transport.request<T>('POST', path, { body: input, idempotencyKey: opts.idempotencyKey, signal: opts.signal })).data,
    // Every PATCH of this API sets fields to given values, so repeating one is harmless.
    update: async (id, patch, opts = {}) => (await transport.request<T>('PATCH', `${path}/${segment(id)}`, { body: patch, idempotent: true, signal: opts.signal })).data,
    delete: async (id, opts = {}) => {
      await transport.request<null>('DELETE', `${path}/${segment(id)}`, { signal: opts.signal });
    },
  };
}

/** `PUT path/{value}`: 201 when it created, 200 when it replaced. */
export async function upsert<T>(transport: Transport, path: string, input: unknown, opts: CallOptions = {}): Promise<{ data: T; created: boolean }> {
  const reply = await transport.request<T>('PUT', path, { body: input, signal: opts.signal });
  return { data: reply.data, created: reply.status === 201 };
}
