import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Which workspace packages each one may import (DESIGN.md "Packages"): arrows point down this
 * table, nothing imports an app, serve-api never imports train or export.
 */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  dataset: ['core'],
  preprocess: ['core'],
  engine: ['core'],
  'onnx-convert': ['core'],
  bundle: ['core'],
  tracking: ['core'],
  train: ['core', 'preprocess', 'engine', 'onnx-convert'],
  evaluate: ['core', 'preprocess', 'engine', 'bundle'],
  export: ['core', 'preprocess', 'engine', 'onnx-convert', 'bundle'],
  'serve-api': ['core', 'preprocess', 'engine', 'bundle'],
  api: ['core', 'serve-api'],
  // Test-only: starts real services; packages list it under devDependencies.
  testkit: [],
  pipeline: [
    'core',
    'dataset',
    'preprocess',
    'engine',
    'onnx-convert',
    'bundle',
    'train',
    'evaluate',
    'export',
    'tracking',
    'serve-api',
  ],
};

interface WorkspacePackage {
  /** Short name: `@plantid/<name>`. */
  name: string;
  dir: string;
  dependencies: string[];
  devDependencies: string[];
  /** Workspace packages imported per file, for src/ and for test/ + bench/. */
  srcImports: { file: string; imports: string[] }[];
  testImports: { file: string; imports: string[] }[];
  /** Relative imports that leave the package folder, as `file: specifier`. */
  escapes: string[];
  readme: string;
}

const ROOT = resolve(import.meta.dirname, '../../..');
const short = (dep: string) => dep.replace(/^@plantid\//, '');
const workspaceDeps = (deps: Record<string, string> | undefined) =>
  Object.keys(deps ?? {})
    .filter((d) => d.startsWith('@plantid/'))
    .map(short);

async function tsFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && /\.(ts|tsx|mts)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

const SPECIFIER = /(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g;

async function importsOf(pkgDir: string, folders: string[]) {
  const out: { file: string; imports: string[] }[] = [];
  const escapes: string[] = [];
  for (const folder of folders) {
    for (const file of await tsFiles(join(pkgDir, folder))) {
      const text = await readFile(file, 'utf8');
      const imports = new Set<string>();
      for (const [, spec] of text.matchAll(SPECIFIER)) {
        if (spec!.startsWith('@plantid/')) imports.add(short(spec!.split('/').slice(0, 2).join('/')));
        else if (
          spec!.startsWith('.') &&
          relative(pkgDir, resolve(dirname(file), spec!)).startsWith(`..${sep}`)
        )
          escapes.push(`${relative(ROOT, file)}: ${spec}`);
      }
      out.push({ file: relative(ROOT, file), imports: [...imports] });
    }
  }
  return { out, escapes };
}

async function loadWorkspace(): Promise<WorkspacePackage[]> {
  const packages: WorkspacePackage[] = [];
  for (const group of ['packages', 'apps']) {
    for (const entry of await readdir(join(ROOT, group), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(ROOT, group, entry.name);
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
      const src = await importsOf(dir, ['src']);
      const tests = await importsOf(dir, ['test', 'bench']);
      packages.push({
        name: short(pkg.name),
        dir: relative(ROOT, dir),
        dependencies: [
          ...workspaceDeps(pkg.dependencies),
          ...workspaceDeps(pkg.peerDependencies),
          ...workspaceDeps(pkg.optionalDependencies),
        ],
        devDependencies: workspaceDeps(pkg.devDependencies),
        srcImports: src.out,
        testImports: tests.out,
        // Tests may share another package's fixtures (an MLflow server); source never reaches inside one.
        escapes: src.escapes,
        readme: await readFile(join(dir, 'README.md'), 'utf8').catch(() => ''),
      });
    }
  }
  return packages.sort((a, b) => (a.dir < b.dir ? -1 : 1));
}

/** Every way the workspace breaks the table, one line each. */
function violations(packages: WorkspacePackage[], allowed: Record<string, readonly string[]>): string[] {
  const found: string[] = [];
  const byName = new Map(packages.map((p) => [p.name, p]));
  const dependsOn = (from: string, target: string, seen = new Set<string>()): boolean => {
    if (from === target) return true;
    if (seen.has(from)) return false;
    seen.add(from);
    return (byName.get(from)?.dependencies ?? []).some((d) => dependsOn(d, target, seen));
  };
  for (const p of packages) {
    const may = allowed[p.name];
    if (!may) {
      found.push(`${p.dir}: @plantid/${p.name} is not in the import table`);
      continue;
    }
    for (const dep of p.dependencies)
      if (!may.includes(dep))
        found.push(`${p.dir}/package.json: depends on @plantid/${dep}, which it may not import`);
    for (const dep of p.devDependencies)
      if (dependsOn(dep, p.name))
        found.push(`${p.dir}/package.json: devDependency @plantid/${dep} depends on it (a cycle)`);
    for (const { file, imports } of p.srcImports) {
      for (const dep of imports) {
        if (dep === p.name) found.push(`${file}: imports its own package by name`);
        else if (!may.includes(dep))
          found.push(`${file}: imports @plantid/${dep}, which ${p.name} may not import`);
        else if (!p.dependencies.includes(dep))
          found.push(`${file}: imports @plantid/${dep}, missing from ${p.dir}/package.json dependencies`);
      }
    }
    for (const { file, imports } of p.testImports) {
      for (const dep of imports)
        if (dep !== p.name && !p.dependencies.includes(dep) && !p.devDependencies.includes(dep))
          found.push(`${file}: imports @plantid/${dep}, missing from ${p.dir}/package.json`);
    }
    for (const outside of p.escapes) found.push(`${outside}: a relative import into another package`);
    for (const dep of p.dependencies)
      if (!p.readme.includes(`@plantid/${dep}`))
        found.push(`${p.dir}/README.md: says nothing of @plantid/${dep}`);
  }
  return found;
}

describe('package boundaries', () => {
  it('every package.json dependency and every import follows the import table', async () => {
    const packages = await loadWorkspace();
    expect(packages.map((p) => p.name).sort()).toEqual(Object.keys(ALLOWED).sort());
    expect(violations(packages, ALLOWED)).toEqual([]);
  });

  it('reports a dependency, an import and a cycle that cross the table', async () => {
    const packages = await loadWorkspace();
    const serve = packages.find((p) => p.name === 'serve-api')!;
    const core = packages.find((p) => p.name === 'core')!;
    const broken = packages.map((p) =>
      p === serve
        ? {
            ...p,
            dependencies: [...p.dependencies, 'export'],
            srcImports: [{ file: 'x.ts', imports: ['train'] }],
          }
        : p === core
          ? { ...p, devDependencies: [...p.devDependencies, 'dataset'] }
          : p,
    );
    expect(violations(broken, ALLOWED)).toEqual([
      'packages/core/package.json: devDependency @plantid/dataset depends on it (a cycle)',
      'packages/serve-api/package.json: depends on @plantid/export, which it may not import',
      'x.ts: imports @plantid/train, which serve-api may not import',
      'packages/serve-api/README.md: says nothing of @plantid/export',
    ]);
  });
});
