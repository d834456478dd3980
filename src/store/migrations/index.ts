/**
 * Migrations in order. Each area adds its own file; names sort in apply order.
 * Written once with Kysely's schema builder, so the same steps serve SQLite and
 * PostgreSQL; dialect.ts holds the few engine-specific column types.
 */
import type { Migration, MigrationProvider } from 'kysely';
import type { DialectName } from '../dialect.js';
import { coreMigration } from './001-core.js';
import { tenantDataMigration } from './002-tenant-data.js';
import { usageMigration } from './003-usage.js';
import { sessionsMigration } from './004-sessions.js';
import { webhooksMigration } from './005-webhooks.js';
import { scaleOutMigration } from './006-scale-out.js';
import { usageByTimeMigration } from './007-usage-by-time.js';
import { dayRollupsFoldedMigration } from './008-day-rollups-folded.js';
import { webhookRetentionMigration } from './009-webhook-retention.js';
import { lastUseTableMigration } from './010-last-use-table.js';
import { usageEventBlocksMigration } from './011-usage-event-blocks.js';

export function migrationProvider(dialect: DialectName): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      return {
        '001-core': coreMigration(dialect),
        '002-tenant-data': tenantDataMigration,
        '003-usage': usageMigration(dialect),
        '004-sessions': sessionsMigration(dialect),
        '005-webhooks': webhooksMigration(),
        '006-scale-out': scaleOutMigration(dialect),
        '007-usage-by-time': usageByTimeMigration,
        '008-day-rollups-folded': dayRollupsFoldedMigration(dialect),
        '009-webhook-retention': webhookRetentionMigration,
        '010-last-use-table': lastUseTableMigration(dialect),
        '011-usage-event-blocks': usageEventBlocksMigration(dialect),
      };
    },
  };
}
