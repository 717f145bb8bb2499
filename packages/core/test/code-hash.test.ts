import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  codeHash,
  createMemoryLogger,
  defineStage,
  loadConfig,
  readDatasetOutput,
  readStageInputs,
  runPipeline,
} from '../src/index.js';

// Two workspace packages as pnpm lays them out: `a` (which defines a stage) depends on `b`.
let root: string;
let stageUrl: string;

async function write(path: string, text: string) {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'plantid-code-hash-'));
  const a = join(root, 'packages', 'a');
  const b = join(root, 'packages', 'b');
  await write(
    join(a, 'package.json'),
    JSON.stringify({ name: '@plantid/a', dependencies: { '@plantid/b': 'workspace:*', zod: '^4' } }),
  );
  await write(join(a, 'src', 'stage.ts'), 'export const stage = 1;\n');
  await write(join(a, 'dist', 'index.js'), 'export const stage = 1;\n');
  await write(join(b, 'package.json'), JSON.stringify({ name: '@plantid/b' }));
  await write(join(b, 'src', 'index.ts'), 'export const b = 1;\n');
  await write(join(b, 'dist', 'index.js'), 'export const b = 1;\n');
  await mkdir(join(a, 'node_modules', '@plantid'), { recursive: true });
  await symlink(b, join(a, 'node_modules', '@plantid', 'b'));
  stageUrl = pathToFileURL(join(a, 'src', 'stage.ts')).href;
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('codeHash', () => {
  it('changes when a source file of the package or of a package it depends on changes, and only then', async () => {
    const before = await codeHash(stageUrl);
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    expect(await codeHash(stageUrl)).toBe(before);
    const dep = join(root, 'packages', 'b', 'src', 'index.ts');
    await writeFile(dep, 'export const b = 2;\n');
    const changed = await codeHash(stageUrl);
    expect(changed).not.toBe(before);
    await writeFile(dep, 'export const b = 1;\n');
    expect(await codeHash(stageUrl)).toBe(before);
    // A new file counts too; files that are not code (a README) do not.
    await write(join(root, 'packages', 'a', 'README.md'), '# a\n');
    expect(await codeHash(stageUrl)).toBe(before);
  });

  it('hashes the built dist/ when the stage runs from it', async () => {
    const distUrl = pathToFileURL(join(root, 'packages', 'a', 'dist', 'index.js')).href;
    const built = await codeHash(distUrl);
    expect(built).not.toBe(await codeHash(stageUrl));
    await writeFile(join(root, 'packages', 'b', 'dist', 'index.js'), 'export const b = 3;\n');
    expect(await codeHash(distUrl)).not.toBe(built);
  });
});

describe('a stage with `code` in the runner', () => {
  it('is reused while its code is unchanged and reruns when a source file changes, without a version bump', async () => {
    let runs = 0;
    const stage = defineStage({
      name: 'count',
      description: 'counts its runs',
      version: '1',
      code: stageUrl,
      needs: [],
      configKeys: ['seed'],
      outputs: ['n.txt'],
      async run(ctx) {
        runs++;
        await writeFile(join(ctx.outDir, 'n.txt'), String(runs));
      },
    });
    const configPath = join(root, 'config.yaml');
    await writeFile(configPath, 'runsDir: runs\ndata: { root: photos }\nmodel: { weights: w.json }\n');
    const run = async () =>
      (
        await runPipeline({
          loaded: await loadConfig(configPath),
          registry: [stage],
          log: createMemoryLogger(),
        })
      ).stages[0]!.status;
    expect(await run()).toBe('ran');
    expect(await run()).toBe('reused');
    await writeFile(join(root, 'packages', 'a', 'src', 'stage.ts'), 'export const stage = 2;\n');
    expect(await run()).toBe('ran');
    expect(await run()).toBe('reused');
    expect(runs).toBe(2);
  });
});

describe('stage inputs', () => {
  it('a contract break in an upstream output fails before the stage writes anything, naming file and field', async () => {
    const dir = join(root, 'dataset-out');
    await write(
      join(dir, 'manifest.jsonl'),
      `${JSON.stringify({ id: 'x', path: 'a.jpg', label: 'A', labelId: 'a', split: 'holdout' })}\n`,
    );
    const consumer = defineStage({
      name: 'consumer',
      description: 'reads the dataset',
      version: '1',
      needs: ['dataset'],
      readers: { dataset: readDatasetOutput },
      configKeys: [],
      outputs: [],
      async run() {},
    });
    const config = (await loadConfig(join(root, 'config.yaml'))).config;
    const error = await readStageInputs(consumer, { dataset: dir }, { config, configDir: root }).catch(
      (e) => e,
    );
    expect(error.exitCode).toBe(2);
    expect(error.toLine()).toMatch(
      new RegExp(
        `^${join(dir, 'manifest.jsonl').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: line 1: split: expected one of "train"\\|"val"\\|"test", got "holdout"`,
      ),
    );
  });
});
