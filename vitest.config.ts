import { defineConfig } from 'vitest/config';
import { HIDDEN_SHARED, INTEGRATION_SUFFIXES } from './test/support/tiers.js';

const everyTest = ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/**/*.test.ts'];
const integration = everyTest.flatMap((glob) => INTEGRATION_SUFFIXES.map((s) => glob.replace('.test.ts', s)));

// One vitest process for the whole monorepo: on 2 cores, one worker pool beats
// one process per package. Workspace packages resolve to their TypeScript sources.
// Two tiers (CONTRIBUTING.md, Tests): `pnpm test` runs both, `pnpm test:unit` only `unit`.
export default defineConfig({
  resolve: { conditions: ['@plantid/source'] },
  ssr: { resolve: { conditions: ['@plantid/source'] } },
  test: {
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 2,
    // The default report, then one closing line `tests: N passed, N failed, N skipped`.
    reporters: ['default', './configs/vitest-summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // Unit tests keep no global state, so each worker loads tfjs, sharp and the packages once
          // instead of once per file: a third less CPU for the tier.
          isolate: false,
          include: everyTest,
          exclude: integration,
          // No ../shared and no tools venv: a unit test that needs either fails, naming the fix.
          env: {
            PLANTID_TEST_TIER: 'unit',
            PLANTID_SHARED: HIDDEN_SHARED,
            PLANTID_TOOLS: '/nonexistent/unit-tier-has-no-tools-venv',
          },
        },
      },
      { extends: true, test: { name: 'integration', include: integration } },
    ],
  },
});
