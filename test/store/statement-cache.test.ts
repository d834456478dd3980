import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { withStatementCache } from '../../src/store/db.js';

describe('SQLite prepared-statement cache', () => {
  const open = (size?: number) => {
    const sqlite = new SQLite(':memory:');
    sqlite.exec('create table t (n integer)');
    for (let n = 1; n <= 3; n++) sqlite.prepare('insert into t values (?)').run(n);
    return withStatementCache(sqlite, size);
  };

  it('hands back the same prepared statement for the same SQL, with fresh parameters each run', () => {
    const db = open();
    const first = db.prepare('select n from t where n = ?');
    expect(db.prepare('select n from t where n = ?')).toBe(first);
    expect(first.all([2])).toEqual([{ n: 2 }]);
    expect(db.prepare('select n from t where n = ?').all([3])).toEqual([{ n: 3 }]);
    db.close();
  });

  it('keeps at most `size` statements, dropping the least recently used', () => {
    const db = open(2);
    const a = db.prepare('select 1');
    const b = db.prepare('select 2');
    expect(db.prepare('select 1')).toBe(a); // now b is the oldest
    db.prepare('select 3');
    expect(db.prepare('select 1')).toBe(a);
    expect(db.prepare('select 2')).not.toBe(b);
    db.close();
  });

  it('gives a fresh statement while the cached one is still iterating rows', () => {
    const db = open();
    const sql = 'select n from t order by n';
    const rows = db.prepare(sql).iterate([]);
    expect(rows.next().value).toEqual({ n: 1 });
    // The same SQL mid-iteration must not reuse the busy statement.
    expect(db.prepare(sql).all([])).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect([...rows]).toEqual([{ n: 2 }, { n: 3 }]);
    db.close();
  });
});
