import { defineConfig } from 'vitest/config';

// One vitest process for the whole monorepo: on 2 cores, one worker pool beats
// one process per package. Workspace packages resolve to their TypeScript sources.
export default defineConfig({
  resolve: { conditions: ['@plantid/source'] },
  ssr: { resolve: { conditions: ['@plantid/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 2,
    // The default report, then one closing line `tests: N passed, N failed, N skipped`.
    reporters: ['default', './configs/vitest-summary-reporter.ts'],
  },
});
