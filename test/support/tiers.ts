/**
 * The two test tiers (CONTRIBUTING.md, "Tests"). A test file that reads ../shared or starts a service
 * (MLflow, Chromium, the ONNX checker, redis, nginx, prometheus, an S3 server, podman, a Python venv…)
 * is named `*.int.test.ts` (or `*.e2e.test.ts` when it runs the whole pipeline); every other
 * `*.test.ts` is a unit test and runs in `pnpm test:unit`, where ../shared is hidden.
 */
// The unit-tier switch lives with the service helpers (@plantid/testkit), which all call it.
export { inUnitTier, requireService } from '../../packages/testkit/src/tier.js';

export const INTEGRATION_SUFFIXES = ['.int.test.ts', '.e2e.test.ts'] as const;

export const isIntegrationTest = (path: string) => INTEGRATION_SUFFIXES.some((s) => path.endsWith(s));

/** What the unit tier sets PLANTID_SHARED to: a folder that does not exist, named so an ENOENT explains itself. */
export const HIDDEN_SHARED = '/nonexistent/unit-tier-hides-shared--name-the-test-file-int.test.ts';
