import { execFileSync, spawn } from 'node:child_process';
import { copyFile, lstat, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED } from '../../../test/support/shared.js';
import { type ExampleOrigin, serveExampleOrigin } from './example-origin.js';
import { plainEnv } from './plain-env.js';

// A user who clones from GitHub has no ../shared. This runs the README's first command, as written,
// in a copy of this checkout with no ../shared beside it; a loopback server laid out like GitHub
// stands in for the origins (PLANTID_EXAMPLE_MIRROR), so fetch-example really downloads the example.
const root = resolve(__dirname, '../../..');
let origin: ExampleOrigin;
let copy: string;
let result: { code: number | null; output: string };

/** Where turbo keeps this checkout's cache: `.turbo/cache` beside the repository's (common) .git. */
function turboCache(): string {
  const git = execFileSync('git', ['rev-parse', '--git-common-dir'], { cwd: root, encoding: 'utf8' }).trim();
  return resolve(root, git, '..', '.turbo', 'cache');
}

/** The first line of the README's quick start, without its comment. */
async function firstCommand(): Promise<string> {
  const block = /```sh\n([\s\S]*?)```/.exec(await readFile(join(root, 'README.md'), 'utf8'))![1]!;
  return block.split('\n')[0]!.replace(/\s+#.*$/, '');
}

/** The checkout as a fresh clone of it would be, plus uncommitted changes: tracked and new files, nothing ignored. */
async function copyCheckout(to: string): Promise<void> {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    const stat = await lstat(join(root, file)).catch(() => undefined);
    if (!stat?.isFile()) continue;
    await mkdir(dirname(join(to, file)), { recursive: true });
    await copyFile(join(root, file), join(to, file));
  }
}

function run(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<typeof result> {
  return new Promise((done) => {
    const child = spawn('bash', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => done({ code, output }));
  });
}

beforeAll(async () => {
  origin = await serveExampleOrigin(SHARED, { cutEvery: 500 });
  const parent = await mkdtemp(join(tmpdir(), 'plantid-readme-'));
  copy = join(parent, 'plantid');
  await copyCheckout(copy);
  result = await run(await firstCommand(), copy, {
    ...plainEnv(),
    PLANTID_EXAMPLE_MIRROR: origin.base,
    PLANTID_SHARED: join(parent, 'shared'),
    // Builds of unchanged packages come from this checkout's turbo cache (same inputs, same outputs).
    TURBO_CACHE_DIR: turboCache(),
  });
}, 1_800_000);

afterAll(async () => {
  await origin?.close();
  if (copy) await rm(dirname(copy), { recursive: true, force: true });
});

describe("the README's first command, with no ../shared", () => {
  it('exits 0', () => {
    if (result.code !== 0) console.error(result.output.slice(-4000));
    expect(result.code).toBe(0);
  });

  it('downloaded the photos and the backbone from the origins', async () => {
    expect(result.output).toMatch(/data\/example\/datasets\/ph-medicinal-leaf40: downloaded, 4971 files/);
    expect(result.output).toMatch(/data\/example\/models\/mobilenet_v2_0\.35_224_tm: downloaded, 3 files/);
    const dataset = join(copy, 'data/example/datasets/ph-medicinal-leaf40');
    expect((await lstat(dataset)).isSymbolicLink()).toBe(false);
    expect(await readdir(dataset)).toHaveLength(40);
    expect(origin.requests.filter((r) => r.endsWith('/image-model.zip'))).toHaveLength(1);
  });

  it('ran every stage on them and registered the model', async () => {
    const [runId] = await readdir(join(copy, 'runs')).then((ids) => ids.filter((id) => !id.startsWith('.')));
    const record = JSON.parse(await readFile(join(copy, 'runs', runId!, 'run.json'), 'utf8'));
    expect(record.stages.map((s: { name: string; status: string }) => [s.name, s.status])).toEqual([
      ['dataset', 'ran'],
      ['train', 'ran'],
      ['evaluate', 'ran'],
      ['export', 'ran'],
    ]);
    const metrics = JSON.parse(
      await readFile(join(copy, 'runs', runId!, 'evaluate', 'metrics.json'), 'utf8'),
    );
    expect(metrics.test.count).toBeGreaterThan(700);
    expect(metrics.test.topK['1']).toBeGreaterThanOrEqual(0.99);
    expect(await readdir(join(copy, 'models', 'leaf40'))).toContain('1');
  });
});
