import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Store, openStore } from '../../src/store/db.js';
import { afterCommit, inTransaction } from '../../src/store/transactions.js';
import { sqliteDatabase } from '../helpers/services.js';

describe('afterCommit', () => {
  let store: Store;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await sqliteDatabase.create();
    drop = db.drop;
    store = await openStore(db.url);
  });
  afterAll(async () => {
    await store.close();
    await drop();
  });

  const orgCount = async () => Number((await store.db.selectFrom('orgs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const insertOrg = (tx: Parameters<Parameters<typeof inTransaction>[1]>[0], id: string) => tx.insertInto('orgs').values({ id, slug: id, name: id, max_tier: 'standard', created_at: 0 }).execute();

  it('runs once after the outermost commit, when the rows are visible; a nested call joins the outer transaction', async () => {
    const seen: number[] = [];
    const hook = () => void orgCount().then((n) => seen.push(n));
    const before = await orgCount();
    await inTransaction(store.db, async (tx) => {
      await insertOrg(tx, 'org_a');
      afterCommit(hook);
      await inTransaction(store.db, async (inner) => {
        await insertOrg(inner, 'org_b');
        afterCommit(hook);
      });
      expect(seen).toEqual([]);
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([before + 2]);
  });

  it('never runs on rollback', async () => {
    let ran = false;
    await expect(
      inTransaction(store.db, async (tx) => {
        await insertOrg(tx, 'org_c');
        afterCommit(() => (ran = true));
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(ran).toBe(false);
  });

  it('runs at once outside a transaction', () => {
    let ran = false;
    afterCommit(() => (ran = true));
    expect(ran).toBe(true);
  });
});
