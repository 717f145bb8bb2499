import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  copyFile,
  cp,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { serveExampleOrigin } from '../../apps/pipeline/test/example-origin.js';
import { plainEnv } from '../../apps/pipeline/test/plain-env.js';
import { resolveBundle } from '../../packages/bundle/src/index.js';
import { MlflowServer } from '../../packages/tracking/test/mlflow-server.js';
import { fixturesRoot, withFixtureLock } from './fixture-lock.js';
import { SHARED } from './shared.js';
import { requireService } from './tiers.js';

/**
 * The README's first command, run once: a real leaf40 model trained, evaluated, exported and
 * registered, with its run logged to a real MLflow server. Read-only for tests: copy what you change
 * (`scratchRuns`), never write into it (other test files read it at the same time).
 */
export interface ExampleRun {
  /** The copy of this checkout the command ran in, with no ../shared beside it. */
  checkout: string;
  /** The command, as the README's quick start gives it. */
  command: string;
  /** `<checkout>/configs/example.yaml`, the config it ran. */
  config: string;
  runsDir: string;
  runId: string;
  /** `<runsDir>/<runId>`: one folder per stage (dataset, train, evaluate, export) and run.json. */
  runDir: string;
  registryDir: string;
  /** `leaf40@latest` in the registry (leaf40/1). */
  bundleDir: string;
  /** The evaluate stage's metrics.json (test top-1, top-k, per class, calibration). */
  metricsPath: string;
  /** The MLflow server's store (sqlite + artifacts): `MlflowServer.start(mlflowDir)` serves the run again. */
  mlflowDir: string;
  /** The MLflow experiment the run was logged to. */
  experiment: string;
  /** Everything the command printed, stdout and stderr interleaved. */
  output: string;
  /** URL paths the loopback origin (standing in for GitHub) answered, in order. */
  originRequests: string[];
}

/** For the `beforeAll` that awaits `exampleRun()`: the first caller trains (~6 min on 2 busy cores). */
export const EXAMPLE_RUN_TIMEOUT_MS = 45 * 60_000;

const root = resolve(import.meta.dirname, '../..');
/** What the key covers besides the checkout's sources: the code that makes the fixture. */
const FIXTURE_CODE = [
  'test/support/example-run.ts',
  'test/support/fixture-lock.ts',
  'test/support/file-server.ts',
  'apps/pipeline/test/example-origin.ts',
];
const RESULT = 'result.json';
const FAILED = 'failed.json';
/** Fixtures of other source states unused this long are removed when a new one is built. */
const PRUNE_AFTER_MS = 24 * 3600_000;

let pending: Promise<ExampleRun> | undefined;

/**
 * The example run for this checkout's sources, built on first use and cached under
 * `fixturesRoot()/example-run/<key>`, where `<key>` hashes the files a fresh clone would have
 * (tests, benches and docs aside) and the fixture's own code. Concurrent test files in other
 * processes share one build through a lock; a build that fails is reported to every caller of the
 * same test run (same vitest process) and tried again by the next one.
 */
export function exampleRun(): Promise<ExampleRun> {
  requireService('the example run (MLflow server, loopback origin, the README first command)');
  pending ??= loadOrBuild();
  return pending;
}

async function loadOrBuild(): Promise<ExampleRun> {
  const files = checkoutFiles();
  const key = await sourceKey(files);
  const dir = join(fixturesRoot(), 'example-run', key);
  const cached = await readResult(dir);
  if (cached) return cached;
  return withFixtureLock(`${dir}.lock`, async (lock) => {
    const done = await readResult(dir);
    if (done) return done;
    const failed = await readFile(join(dir, FAILED), 'utf8').then(
      (t) => JSON.parse(t) as { testRun: number; message: string },
      () => undefined,
    );
    if (failed && failed.testRun === testRun()) throw new Error(failed.message);
    await prune(dirname(dir), dir);
    await rm(dir, { recursive: true, force: true });
    return build(dir, files, (pgid) => lock.noteGroup(pgid));
  });
}

/** The vitest process whose workers call this: a failure is not retried within one test run. */
const testRun = () => process.ppid;

async function readResult(dir: string): Promise<ExampleRun | undefined> {
  const text = await readFile(join(dir, RESULT), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const now = new Date();
  await utimes(join(dir, RESULT), now, now).catch(() => {});
  const result = JSON.parse(text) as Omit<ExampleRun, 'output' | 'originRequests'>;
  return {
    ...result,
    output: await readFile(join(dir, 'output.log'), 'utf8'),
    originRequests: JSON.parse(await readFile(join(dir, 'origin-requests.json'), 'utf8')),
  };
}

/** The checkout as a fresh clone of it would be, plus uncommitted changes: tracked and new files, nothing ignored. */
function checkoutFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\0')
    .filter(Boolean)
    .sort();
}

/** What the run depends on: every file but tests, benches and docs (the README's first command counts). */
const shapesTheRun = (file: string) =>
  !/(^|\/)(test|bench|docs)\//.test(file) && (!file.endsWith('.md') || file === 'README.md');

async function sourceKey(files: string[]): Promise<string> {
  const hash = createHash('sha256').update(`node ${process.version}\n`);
  for (const file of [...files.filter(shapesTheRun), ...FIXTURE_CODE]) {
    const bytes = await readFile(join(root, file)).catch(() => undefined);
    if (bytes) hash.update(`${file}\0${createHash('sha256').update(bytes).digest('hex')}\n`);
  }
  return hash.digest('hex').slice(0, 16);
}

async function copyCheckout(files: string[], to: string): Promise<void> {
  for (const file of files) {
    const info = await lstat(join(root, file)).catch(() => undefined);
    if (!info?.isFile()) continue;
    await mkdir(dirname(join(to, file)), { recursive: true });
    await copyFile(join(root, file), join(to, file));
  }
}

/** The first line of the README's quick start, without its comment. */
export async function readmeFirstCommand(readme = join(root, 'README.md')): Promise<string> {
  const block = /```sh\n([\s\S]*?)```/.exec(await readFile(readme, 'utf8'))![1]!;
  return block.split('\n')[0]!.replace(/\s+#.*$/, '');
}

/** Where turbo keeps this checkout's cache: `.turbo/cache` beside the repository's (common) .git. */
function turboCache(): string {
  const git = execFileSync('git', ['rev-parse', '--git-common-dir'], { cwd: root, encoding: 'utf8' }).trim();
  return resolve(root, git, '..', '.turbo', 'cache');
}

/**
 * Copies the checkout into `dir/plantid` and runs the README's first command there, as a user who
 * cloned from GitHub would: no ../shared, so fetch-example downloads the example from a loopback
 * server laid out like GitHub (PLANTID_EXAMPLE_MIRROR, dropping every 500th connection halfway);
 * PLANTID_TRACKING_URI sends the run to a real MLflow server whose store stays in `dir/mlflow`.
 * Nothing moves afterwards (stage cache keys hold the config's absolute folder), so the result is
 * marked complete by writing result.json last, atomically; a folder without it is rebuilt.
 */
async function build(
  dir: string,
  files: string[],
  noteGroup: (pgid: number) => Promise<void>,
): Promise<ExampleRun> {
  const checkout = join(dir, 'plantid');
  const mlflowDir = join(dir, 'mlflow');
  await mkdir(mlflowDir, { recursive: true });
  await copyCheckout(files, checkout);
  const command = await readmeFirstCommand(join(checkout, 'README.md'));
  const origin = await serveExampleOrigin(SHARED, { cutEvery: 500 });
  let mlflow: MlflowServer | undefined;
  let outcome: { code: number | null; output: string };
  try {
    mlflow = await MlflowServer.start(mlflowDir);
    outcome = await runCommand(command, checkout, join(dir, 'output.log'), noteGroup, {
      ...userEnv(),
      PLANTID_EXAMPLE_MIRROR: origin.base,
      PLANTID_SHARED: join(dir, 'shared'),
      PLANTID_TRACKING_URI: mlflow.uri,
      // Builds of unchanged packages come from this checkout's turbo cache (same inputs, same outputs).
      TURBO_CACHE_DIR: turboCache(),
    });
  } finally {
    await mlflow?.stop();
    await origin.close();
  }
  await writeFile(join(dir, 'origin-requests.json'), JSON.stringify(origin.requests));
  if (outcome.code !== 0) {
    const message = `the README's first command exited with ${outcome.code} in ${checkout}; its output ends:\n${outcome.output.slice(-4000)}`;
    await writeFile(join(dir, FAILED), JSON.stringify({ testRun: testRun(), message }));
    throw new Error(message);
  }
  const runsDir = join(checkout, 'runs');
  const runIds = (await readdir(runsDir)).filter((id) => !id.startsWith('.'));
  if (runIds.length !== 1)
    throw new Error(`expected one run in ${runsDir}, found ${runIds.join(', ') || 'none'}`);
  const runDir = join(runsDir, runIds[0]!);
  const registryDir = join(checkout, 'models');
  const result: Omit<ExampleRun, 'output' | 'originRequests'> = {
    checkout,
    command,
    config: join(checkout, 'configs', 'example.yaml'),
    runsDir,
    runId: runIds[0]!,
    runDir,
    registryDir,
    bundleDir: await resolveBundle('leaf40@latest', registryDir),
    metricsPath: join(runDir, 'evaluate', 'metrics.json'),
    mlflowDir,
    experiment: 'plantid-example',
  };
  await writeFile(join(dir, `${RESULT}.tmp`), JSON.stringify(result, null, 2));
  await rename(join(dir, `${RESULT}.tmp`), join(dir, RESULT));
  return { ...result, output: outcome.output, originRequests: origin.requests };
}

/** This process's environment as a user's shell would have it: plain output, none of the variables the example's config reads. */
function userEnv(): NodeJS.ProcessEnv {
  const {
    PLANTID_DATA: _data,
    PLANTID_BACKBONE: _backbone,
    PLANTID_TRACKING_URI: _tracking,
    PLANTID_FIXTURES: _fixtures,
    ...env
  } = plainEnv();
  return env;
}

/** `bash -c command` in its own process group (noted under the lock), output teed into `logFile`. */
async function runCommand(
  command: string,
  cwd: string,
  logFile: string,
  noteGroup: (pgid: number) => Promise<void>,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  const child = spawn('bash', ['-c', command], {
    cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // finished
    }
  };
  process.on('exit', killGroup);
  await noteGroup(child.pid!);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  process.off('exit', killGroup);
  await writeFile(logFile, output);
  return { code, output };
}

/** Removes fixtures of other source states nobody used for a day (their result.json is touched on each use). */
async function prune(parent: string, keep: string): Promise<void> {
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    const dir = join(parent, name);
    if (dir === keep || name.endsWith('.lock') || existsSync(`${dir}.lock`)) continue;
    const used = await stat(join(dir, RESULT))
      .catch(() => stat(dir))
      .then((s) => s.mtimeMs);
    if (Date.now() - used > PRUNE_AFTER_MS) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A private copy of the example's runs folder, for a test that runs the pipeline again:
 * `pipeline run --config <run.config> --set runsDir=<copy>` reuses the copied stages (their cache
 * keys hold the config's folder, not the runs folder) and leaves the shared fixture untouched.
 */
export async function scratchRuns(run: ExampleRun): Promise<{ runsDir: string; remove(): Promise<void> }> {
  const parent = await mkdtemp(join(tmpdir(), 'plantid-example-rerun-'));
  const runsDir = join(parent, 'runs');
  await cp(run.runsDir, runsDir, { recursive: true, verbatimSymlinks: true });
  return { runsDir, remove: () => rm(parent, { recursive: true, force: true }) };
}

/**
 * Runs the checkout copy's built `pipeline` CLI (`node apps/pipeline/dist/cli.js`, what `pnpm
 * pipeline` runs after its build) in the copy, with plain output and none of the variables the
 * example's config reads unless `env` sets them.
 */
export function examplePipeline(
  run: ExampleRun,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(run.checkout, 'apps/pipeline/dist/cli.js'), ...args], {
      cwd: run.checkout,
      env: { ...userEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
