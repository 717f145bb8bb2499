import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout this CLI runs from (the folder with pnpm-workspace.yaml), from src/ and dist/ alike. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** The pins of every example file (sizes and sha256), next to the example config. */
export const EXAMPLE_PINS = join(repoRoot(), 'configs', 'example.pins.tsv');

/** Where `fetch-example` puts the example by default, and where configs/example.yaml reads it. */
export const DEFAULT_EXAMPLE_DIR = join(repoRoot(), 'data', 'example');

/** The read-only copy of the example beside the checkout on the team's machines: PLANTID_SHARED, else ../shared. */
export function sharedDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.PLANTID_SHARED || join(repoRoot(), '..', 'shared'));
}
