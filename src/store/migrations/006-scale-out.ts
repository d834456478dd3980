/** Scale-out: PostgreSQL nodes hear of key changes by NOTIFY (see changes/pg-notify.ts). */
import type { Migration } from 'kysely';
import { type DialectName, installKeyChangeNotify, removeKeyChangeNotify } from '../dialect.js';

export function scaleOutMigration(dialect: DialectName): Migration {
  return {
    up: (db) => installKeyChangeNotify(dialect, db),
    down: (db) => removeKeyChangeNotify(dialect, db),
  };
}
