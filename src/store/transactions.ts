/**
 * Every mutation runs in one database transaction. A call made while a
 * transaction on the same database is already open (an idempotent request
 * wrapping a service call, a service calling another) joins it instead of
 * opening a second one, so the resource, its idempotency record and any
 * outbox row commit or roll back together.
 *
 * Inside `work`, query through `tx` only: on SQLite the open transaction holds
 * the one connection, so a query through the outer handle would wait forever.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

const open = new AsyncLocalStorage<{ db: Kysely<Database>; tx: Transaction<Database> }>();

export async function inTransaction<T>(db: Kysely<Database>, work: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
  const current = open.getStore();
  if (current && current.db === db) return work(current.tx);
  return db.transaction().execute((tx) => open.run({ db, tx }, () => work(tx)));
}
