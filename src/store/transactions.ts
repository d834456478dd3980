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

interface OpenTransaction {
  db: Kysely<Database>;
  tx: Transaction<Database>;
  /** Run once the outermost transaction has committed (never on rollback). */
  afterCommit: Set<() => void>;
}

const open = new AsyncLocalStorage<OpenTransaction>();

export async function inTransaction<T>(db: Kysely<Database>, work: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
  const current = open.getStore();
  if (current && current.db === db) return work(current.tx);
  const hooks = new Set<() => void>();
  const result = await db.transaction().execute((tx) => open.run({ db, tx, afterCommit: hooks }, () => work(tx)));
  for (const hook of hooks) hook();
  return result;
}

/**
 * Runs `hook` after the open transaction commits (at once when none is open);
 * the same function registered twice in one transaction runs once. The outbox
 * uses it to wake this node's webhook dispatcher only when its rows are visible.
 */
export function afterCommit(hook: () => void): void {
  const current = open.getStore();
  if (current) current.afterCommit.add(hook);
  else hook();
}
