import { access, readFile, realpath } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listFilesRecursive, sha256, sha256File } from '../hash.js';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

async function packageRoot(file: string): Promise<string> {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (await exists(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${file}`);
  }
}

/**
 * The hash of the code a stage runs: every source file of the package holding `moduleUrl` and of
 * every @plantid package it depends on, transitively. It reads what actually runs: the TypeScript
 * under `src/` when the module is a source file (vitest and tsx with the `@plantid/source`
 * condition), the built `.js` under `dist/` otherwise — so neither a forgotten version bump nor a
 * stale build can reuse an output made by other code. Cheap enough to compute on every run (a few
 * hundred files; no cache to go stale either).
 */
export async function codeHash(moduleUrl: string): Promise<string> {
  const file = fileURLToPath(moduleUrl);
  const root = await packageRoot(file);
  const tree = relative(root, file).split(sep)[0] === 'src' ? 'src' : 'dist';
  const wanted = tree === 'src' ? (f: string) => f.endsWith('.ts') : (f: string) => f.endsWith('.js');
  const packages = new Map<string, string>();
  const queue = [root];
  while (queue.length) {
    const dir = queue.shift()!;
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
      name: string;
      dependencies?: Record<string, string>;
    };
    if (packages.has(pkg.name)) continue;
    packages.set(pkg.name, dir);
    for (const dep of Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith('@plantid/')))
      queue.push(await realpath(join(dir, 'node_modules', dep)));
  }
  const parts: string[] = [];
  for (const [name, dir] of [...packages].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const codeDir = join(dir, tree);
    if (!(await exists(codeDir)))
      throw new Error(`${name} has no ${tree}/ folder (${codeDir}); build it first`);
    for (const rel of (await listFilesRecursive(codeDir)).filter(wanted))
      parts.push(`${name}/${tree}/${rel}\0${await sha256File(join(codeDir, rel))}`);
  }
  return sha256(parts.join('\n'));
}
