import { type TestProjectInlineConfiguration, type ViteUserConfig, defineConfig } from 'vitest/config';
import { PG_ADMIN_URL, SERVICES_REQUIRED, postgresAvailable } from './test/helpers/services.js';

// Every suite runs in the `sqlite` project; the `postgres` project runs them again with
// startTestApp and testDatabases() on fresh PostgreSQL databases, except those with
// nothing engine-specific to test (pure code, CLI suites pinned to SQLite files) and
// the multi-node suites, which use PostgreSQL already.
const ONCE_ONLY = ['test/core/**', 'test/bench/**', 'test/auth/**', 'test/limiter/**', 'test/cli/**', 'test/cluster/**'];

const postgresProject: TestProjectInlineConfiguration = {
  extends: true,
  test: { name: 'postgres', include: ['test/**/*.test.ts'], exclude: ONCE_ONLY, env: { ATENDER_TEST_DATABASE: 'postgres' } },
};

export default defineConfig(async (): Promise<ViteUserConfig> => {
  const postgres = await postgresAvailable();
  if (!postgres) {
    const message = `PostgreSQL is not reachable (${PG_ADMIN_URL})`;
    if (SERVICES_REQUIRED) throw new Error(`${message}; ATENDER_REQUIRE_SERVICES=1 makes this a failure`);
    console.warn(`\n  !!! SKIPPING THE POSTGRESQL RUN OF THE SUITE: ${message}. CI runs it.\n`);
  }
  return {
    test: {
      pool: 'forks',
      testTimeout: 30_000,
      hookTimeout: 60_000,
      // Two cores: more workers only fight over them.
      maxWorkers: 2,
      projects: [
        { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'], env: { ATENDER_TEST_DATABASE: 'sqlite' } } },
        ...(postgres ? [postgresProject] : []),
      ],
    },
  };
});
