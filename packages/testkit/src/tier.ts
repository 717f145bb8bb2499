/** Set by vitest's `unit` project (vitest.config.ts). */
export const inUnitTier = () => process.env.PLANTID_TEST_TIER === 'unit';

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
