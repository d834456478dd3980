/**
 * `Idempotency-Key` on every POST that creates (SPEC section 6), Stripe-style:
 * the first request's status and body are stored per API key id for 24 h; a
 * retry with the same key and the same request replays them with
 * `Idempotent-Replayed: true`; the same key with another request is 422
 * `idempotency_conflict`.
 *
 * The record is inserted in the same transaction as the resource (services join
 * it, see store/transactions.ts). A concurrent retry's insert of the same key
 * therefore waits for the first transaction (PostgreSQL row lock; SQLite's one
 * writer), then finds the committed record and replays it: one row, however many
 * retries race. A failed request rolls back with its record, so it can be retried.
 */
import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.js';
import { ApiError } from '../core/problems.js';
import { isUniqueViolation } from '../store/dialect.js';
import type { Store } from '../store/db.js';
import { inTransaction } from '../store/transactions.js';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 10 * 60 * 1000;

/** The request-header schema of a creating POST (validates the key and documents it in OpenAPI). */
export const IdempotencyKeyHeader = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]+$', description: 'Makes retries safe: the same key and body within 24 h answer the first result again instead of creating a duplicate. 1-255 printable ASCII characters.' }),
  ),
});

class KeyTaken extends Error {}

export class Idempotency {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Runs `create` once per (API key, Idempotency-Key); answers `status` with its result or the stored replay. */
  async run<T>(request: FastifyRequest, reply: FastifyReply, status: number, create: () => Promise<T>): Promise<T> {
    const header = request.headers['idempotency-key'];
    if (typeof header !== 'string') {
      reply.code(status);
      return inTransaction(this.store.db, create);
    }
    const keyId = request.apiKey!.keyId;
    const fingerprint = requestFingerprint(request);
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.clock.now();
      try {
        const result = await inTransaction(this.store.db, async (tx) => {
          try {
            await tx.insertInto('idempotency_keys').values({ key_id: keyId, idempotency_key: header, request_hash: fingerprint, status_code: status, response_body: null, created_at: now }).execute();
          } catch (error) {
            if (isUniqueViolation(error)) throw new KeyTaken();
            throw error;
          }
          const body = await create();
          await tx.updateTable('idempotency_keys').set({ response_body: JSON.stringify(body) }).where('key_id', '=', keyId).where('idempotency_key', '=', header).execute();
          return body;
        });
        reply.code(status);
        return result;
      } catch (error) {
        if (!(error instanceof KeyTaken)) throw error;
      }
      const stored = await this.store.db.selectFrom('idempotency_keys').selectAll().where('key_id', '=', keyId).where('idempotency_key', '=', header).executeTakeFirst();
      if (!stored) continue; // pruned between our insert and this read: try again
      if (stored.created_at <= now - IDEMPOTENCY_TTL_MS) {
        await this.store.db.deleteFrom('idempotency_keys').where('key_id', '=', keyId).where('idempotency_key', '=', header).where('created_at', '=', stored.created_at).execute();
        continue;
      }
      if (stored.request_hash !== fingerprint) {
        throw new ApiError('idempotency_conflict', 'this Idempotency-Key was already used with a different request; use a new key for a new request', {
          errors: [{ path: 'headers.idempotency-key', message: 'was used with a different request' }],
        });
      }
      reply.code(stored.status_code ?? status).header('idempotent-replayed', 'true');
      return JSON.parse(stored.response_body ?? 'null') as T;
    }
    throw new ApiError('conflict', 'this Idempotency-Key is being used by another request right now; retry shortly', {}, { 'retry-after': '1' });
  }

  /** Deletes the records past their 24 h; returns how many. */
  async prune(): Promise<number> {
    const result = await this.store.db.deleteFrom('idempotency_keys').where('created_at', '<=', this.clock.now() - IDEMPOTENCY_TTL_MS).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  start(): void {
    this.timer = setInterval(() => void this.prune().catch(() => {}), PRUNE_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** Same route, same path parameters and the same body (key order aside) → the same fingerprint. */
export function requestFingerprint(request: FastifyRequest): string {
  const canonical = JSON.stringify([request.method, request.routeOptions.url, sortKeys(request.params), sortKeys(request.body)]);
  return createHash('sha256').update(canonical).digest('hex');
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}
