// `pnpm pipeline …` / `pnpm api …`: builds the app and what it depends on through turbo
// (a no-op cache hit when nothing changed), then runs it in this process. Build output is
// shown only when the build fails.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [pkg, entry, ...args] = process.argv.slice(2);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const turbo = spawnSync(
  join(root, 'node_modules/.bin/turbo'),
  ['run', 'build', `--filter=${pkg}...`, '--output-logs=errors-only'],
  {
    cwd: root,
    encoding: 'utf8',
  },
);
if (turbo.status !== 0) {
  process.stderr.write(turbo.stdout + turbo.stderr);
  process.stderr.write(
    `error: building ${pkg} failed (output above); fix it or run \`pnpm build\` to see every package\n`,
  );
  process.exit(1);
}
// pnpm runs root scripts in the repo root; relative paths in arguments mean the caller's folder.
if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
process.argv = [process.argv[0], join(root, entry), ...args];
await import(pathToFileURL(join(root, entry)).href);
