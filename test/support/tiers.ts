/**
 * The two test tiers (CONTRIBUTING.md, "Tests"). A test file that reads ../shared or starts a service
 * (MLflow, Chromium, the ONNX checker, redis, nginx, prometheus, an S3 server, podman, a Python venv…)
 * is named `*.int.test.ts` (or `*.e2e.test.ts` when it runs the whole pipeline); every other
 * `*.test.ts` is a unit test and runs in `pnpm test:unit`, where ../shared is hidden.
 */
export const INTEGRATION_SUFFIXES = ['.int.test.ts', '.e2e.test.ts'] as const;

export const isIntegrationTest = (path: string) => INTEGRATION_SUFFIXES.some((s) => path.endsWith(s));

/** Set by vitest's `unit` project (vitest.config.ts). */
export const inUnitTier = () => process.env.PLANTID_TEST_TIER === 'unit';

/** What the unit tier sets PLANTID_SHARED to: a folder that does not exist, named so an ENOENT explains itself. */
export const HIDDEN_SHARED = '/nonexistent/unit-tier-hides-shared--name-the-test-file-int.test.ts';

/**
 * Every helper that starts a service or runs an external tool calls this first: in the unit tier it
 * throws, so a unit test that needs a service fails loudly instead of quietly depending on one.
 */
export function requireService(name: string): void {
  if (inUnitTier())
    throw new Error(
      `${name} is a service and the unit tier runs none: name this test file *.int.test.ts (CONTRIBUTING.md, Tests)`,
    );
}
