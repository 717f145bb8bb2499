import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LEAF40, SHARED } from './support/shared.js';
import { HIDDEN_SHARED, isIntegrationTest, requireService } from './support/tiers.js';

// The rule of the two tiers, checked on every test file so it holds as tests are added
// (CONTRIBUTING.md, Tests): a file that reads ../shared or starts a service is *.int.test.ts or
// *.e2e.test.ts; everything else runs in `pnpm test:unit`, where ../shared is hidden.
const root = resolve(import.meta.dirname, '..');

/** Every .ts file under the repo's test folders (packages/*\/test, apps/*\/test, test/). */
async function testSources(): Promise<string[]> {
  const folders = ['test'];
  for (const group of ['packages', 'apps']) {
    for (const name of await readdir(join(root, group))) folders.push(join(group, name, 'test'));
  }
  const files: string[] = [];
  for (const folder of folders.filter((f) => existsSync(join(root, f)))) {
    const entries = await readdir(join(root, folder), { recursive: true, withFileTypes: true });
    for (const e of entries)
      if (e.isFile() && e.name.endsWith('.ts')) files.push(relative(root, join(e.parentPath, e.name)));
  }
  return files.sort();
}

const importPattern =
  /(?:^|\s)(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Specifiers a module imports. */
function importsOf(source: string): string[] {
  return [...source.matchAll(importPattern)].map((m) => (m[1] ?? m[2])!);
}

/** A relative specifier (`./helpers.js`) as the repo-relative .ts file it names. */
function localModule(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(root, dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts'), base];
  const found = candidates.find((c) => existsSync(c) && c.endsWith('.ts'));
  return found ? relative(root, found) : undefined;
}

/** `file` and every local module it reaches through relative imports, each with the chain that led there. */
function closure(file: string): Map<string, string[]> {
  const reached = new Map<string, string[]>([[file, [file]]]);
  const queue = [file];
  while (queue.length > 0) {
    const current = queue.shift()!;
    for (const specifier of importsOf(readFileSync(join(root, current), 'utf8'))) {
      const next = localModule(current, specifier);
      if (!next || reached.has(next)) continue;
      reached.set(next, [...reached.get(current)!, next]);
      queue.push(next);
    }
  }
  return reached;
}

/** Why a module may not be in a unit test's reach, or undefined when it may. */
function serviceUse(path: string): string | undefined {
  // The rule's own definition and its test call requireService without starting anything.
  if (['test/support/tiers.ts', 'test/tiers.test.ts', 'packages/testkit/src/tier.ts'].includes(path))
    return undefined;
  const source = readFileSync(join(root, path), 'utf8');
  if (/\brequireService\(/.test(source)) return 'starts a service (calls requireService)';
  if (importsOf(source).includes('playwright-core')) return 'drives Chromium (imports playwright-core)';
  if (importsOf(source).includes('@plantid/testkit')) return 'starts a service (imports @plantid/testkit)';
  return undefined;
}

describe('test tiers', () => {
  it('every test file is in packages/*/test, apps/*/test or test/, where a tier picks it up', async () => {
    const stray: string[] = [];
    for (const group of ['packages', 'apps']) {
      for (const name of await readdir(join(root, group))) {
        const entries = await readdir(join(root, group, name), { recursive: true, withFileTypes: true });
        for (const e of entries) {
          const path = relative(root, join(e.parentPath, e.name));
          if (
            e.name.endsWith('.test.ts') &&
            !/\/(node_modules|dist)\//.test(path) &&
            !path.includes('/test/')
          )
            stray.push(path);
        }
      }
    }
    expect(stray).toEqual([]);
  });

  it('tests reach ../shared only through test/support/shared.ts, so PLANTID_SHARED moves or hides it', async () => {
    // A string literal that starts with a path into ../shared (one or more ../ then shared); prose naming it is fine.
    const literal = /['"`](?:\.\.\/)+shared(?:\/|['"`])/;
    const offenders = (await testSources()).filter(
      (f) => f !== 'test/support/shared.ts' && literal.test(readFileSync(join(root, f), 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('no unit test imports a helper that starts a service or drives Chromium', async () => {
    const sources = await testSources();
    const unit = sources.filter((f) => f.endsWith('.test.ts') && !isIntegrationTest(f));
    expect(unit.length).toBeGreaterThan(20);
    const offenders: string[] = [];
    for (const file of unit) {
      for (const [module, chain] of closure(file)) {
        const why = serviceUse(module);
        if (why) offenders.push(`${chain.join(' → ')} ${why}: name ${file} *.int.test.ts`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the check sees through helpers: an integration test that starts MLflow is caught in its reach', () => {
    const reach = [...closure('packages/tracking/test/mlflow.int.test.ts').keys()];
    expect(reach).toContain('packages/tracking/test/mlflow-server.ts');
    expect(serviceUse('packages/tracking/test/mlflow-server.ts')).toMatch(/starts a service/);
    expect(serviceUse('packages/evaluate/test/report-browser.int.test.ts')).toMatch(/Chromium/);
  });

  it('this tier hides ../shared and refuses services, loudly', async () => {
    expect(process.env.PLANTID_TEST_TIER).toBe('unit');
    expect(SHARED).toBe(HIDDEN_SHARED);
    expect(existsSync(SHARED)).toBe(false);
    await expect(readdir(LEAF40)).rejects.toThrow(/ENOENT.*unit-tier-hides-shared--name-the-test-file-int/);
    expect(() => requireService('MLflow')).toThrow(
      /^MLflow is a service and the unit tier runs none: name this test file \*\.int\.test\.ts/,
    );
  });
});
