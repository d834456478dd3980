/**
 * Day rollups stop being written beside minute rollups: minute rollups are
 * folded into them when they age out (usage/retention.ts), and a day-resolution
 * query adds up both. Until now a day row also counted every request its
 * day's minute rows count, so each day row here keeps only the part no minute
 * row holds (what retention already pruned), and rows left empty go.
 */
import { type Migration, sql } from 'kysely';
import type { DialectName } from '../dialect.js';
import { LATENCY_COLUMNS } from '../schema.js';

const DAY_MS = 86_400_000;
const SUMMED = ['count', 'latency_ms_sum', ...LATENCY_COLUMNS] as const;
const dayOfBucket = sql<number>`bucket_start - (bucket_start % ${sql.lit(DAY_MS)})`;

export function dayRollupsFoldedMigration(dialect: DialectName): Migration {
  return {
    async up(db) {
      // One pass over every rollup: on a large table longer than the pool's 5 s statement limit (PostgreSQL
      // runs all migrations in one transaction, which this setting ends with).
      if (dialect === 'postgres') await sql`set local statement_timeout = 0`.execute(db);
      const minutes = db
        .selectFrom('usage_rollups')
        .select([
          'key_id',
          dayOfBucket.as('day'),
          'route',
          'status',
          ...SUMMED.map((c) => sql<number>`sum(${sql.ref(c)})`.as(`m_${c}`)),
        ])
        .where('period', '=', 'minute')
        .groupBy([dayOfBucket, 'key_id', 'route', 'status'])
        .as('m');
      await db
        .updateTable('usage_rollups')
        .from(minutes)
        .set(Object.fromEntries(SUMMED.map((c) => [c, sql`${sql.ref(`usage_rollups.${c}`)} - ${sql.ref(`m.m_${c}`)}`])))
        .whereRef('usage_rollups.key_id', '=', 'm.key_id')
        .whereRef('usage_rollups.bucket_start', '=', 'm.day')
        .whereRef('usage_rollups.route', '=', 'm.route')
        .whereRef('usage_rollups.status', '=', 'm.status')
        .where('usage_rollups.period', '=', 'day')
        .execute();
      await db.deleteFrom('usage_rollups').where('period', '=', 'day').where('count', '<=', 0).execute();
    },
  };
}
