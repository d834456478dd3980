import { type TestProjectInlineConfiguration, type ViteUserConfig, defineConfig } from 'vitest/config';
import { PG_ADMIN_URL, SERVICES_REQUIRED, postgresAvailable } from './test/helpers/services.js';

// Suites that already choose their databases (pure core, parameterised store suites,
// the multi-node suites that need PostgreSQL anyway) run once; everything else runs
// a second time with startTestApp defaulting to a fresh PostgreSQL database.
const ONCE_ONLY = ['test/core/**', 'test/auth/**', 'test/store/**', 'test/limiter/**', 'test/cluster/**'];

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
        { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'] } },
        ...(postgres ? [postgresProject] : []),
      ],
    },
  };
});
