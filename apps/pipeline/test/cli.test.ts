import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { saveLayersModel } from '@plantid/engine';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { plainEnv } from './plain-env.js';

// The real entry point (src/cli.ts with the real stage registry), run the way a user runs it, on
// the example config with its data and backbone swapped for small generated ones (PLANTID_DATA,
// PLANTID_BACKBONE), so it needs no fetched example.
const cli = resolve(__dirname, '../src/cli.ts');
const example = resolve(__dirname, '../../../configs/example.yaml');
let dir: string;
let fixtures: string;

function pipeline(...args: string[]) {
  const result = spawnSync(
    process.execPath,
    ['--conditions=@plantid/source', '--import', import.meta.resolve('tsx'), cli, ...args],
    {
      cwd: dir,
      encoding: 'utf8',
      env: {
        ...plainEnv(),
        PLANTID_DATA: join(fixtures, 'photos'),
        PLANTID_BACKBONE: join(fixtures, 'backbone', 'model.json'),
      },
    },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr.trim() };
}

async function config(name: string, text: string): Promise<string> {
  await writeFile(join(dir, name), text);
  return name;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plantid-cli-'));
  fixtures = await mkdtemp(join(tmpdir(), 'plantid-cli-fixtures-'));
  for (const [label, background] of [
    ['Basil', '#2f6f3e'],
    ['Mint', '#9fd8a0'],
  ] as const) {
    await mkdir(join(fixtures, 'photos', label), { recursive: true });
    for (const i of [1, 2])
      await sharp({ create: { width: 128, height: 128, channels: 3, background } })
        .png()
        .toFile(join(fixtures, 'photos', label, `${i}.png`));
  }
  const backbone = tf.sequential({
    layers: [tf.layers.conv2d({ inputShape: [224, 224, 3], filters: 4, kernelSize: 3, strides: 8 })],
  });
  await saveLayersModel(backbone, join(fixtures, 'backbone'));
  backbone.dispose();
});

describe('pipeline CLI: bad input exits 2 with one line and writes nothing', () => {
  it('missing config file', () => {
    const { code, stderr } = pipeline('run', '--config', 'nope.yaml');
    expect(code).toBe(2);
    expect(stderr).toBe('error: nope.yaml: config file not found (check the path given to --config)');
  });

  it('invalid YAML, with line and column', async () => {
    const { code, stderr } = pipeline(
      'run',
      '--config',
      await config('bad.yaml', 'data:\n  root: [x\nmodel: 1\n'),
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: bad\.yaml:3:1: invalid YAML: [^\n]+$/);
  });

  it('unknown key, with a suggestion', async () => {
    const { code, stderr } = pipeline('run', '--config', example, '--set', 'train.head.lrate=0.1');
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^error: \S+example\.yaml: train\.head\.lrate: unknown key; did you mean "lr"\? \(from --set/,
    );
  });

  it('wrong type, naming key, expected type and value', () => {
    const { code, stderr } = pipeline('run', '--config', example, '--set', 'train.head.lr=fast');
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^error: \S+example\.yaml: train\.head\.lr: expected a positive number, got "fast" \(from --set train\.head\.lr=fast\)$/,
    );
  });

  it('unknown stage in --stages', () => {
    const { code, stderr } = pipeline(
      'run',
      '--config',
      example,
      '--stages',
      'no-such-stage',
      '--set',
      `runsDir=${dir}/runs`,
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: --stages: unknown stage "no-such-stage" \(/);
  });

  it('unwritable runs dir', async () => {
    await writeFile(join(dir, 'blocker'), 'a file where a folder should be');
    const { code, stderr } = pipeline('run', '--config', example, '--set', `runsDir=${dir}/blocker/runs`);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^error: \S+example\.yaml: runsDir: runs dir \S+blocker\/runs is not writable: \S+blocker is not a folder/,
    );
  });

  it('bad flags', () => {
    expect(pipeline('run', '--config', example, '--log', 'xml')).toMatchObject({ code: 2 });
    expect(pipeline('run')).toMatchObject({
      code: 2,
      stderr: "error: required option '-c, --config <file>' not specified",
    });
    expect(pipeline('bogus')).toMatchObject({ code: 2, stderr: "error: unknown command 'bogus'" });
  });

  it('wrote nothing for any of the above', async () => {
    expect((await readdir(dir)).sort()).toEqual(['bad.yaml', 'blocker']);
    await expect(stat(resolve(dir, 'runs'))).rejects.toThrow();
  });
});

describe('pipeline CLI: good input', () => {
  it('--dry-run prints the plan and exits 0', () => {
    const { code, stdout } = pipeline(
      'run',
      '--config',
      example,
      '--dry-run',
      '--set',
      `runsDir=${dir}/dry-runs`,
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/^plan for \S+example\.yaml \(runs dir \S+dry-runs\):/);
  });

  it('--help exits 0 and lists the commands', () => {
    const { code, stdout } = pipeline('--help');
    expect(code).toBe(0);
    for (const command of ['run', 'stages', 'graph', 'runs'])
      expect(stdout).toMatch(new RegExp(`\\n  ${command}\\b`));
  });
});
