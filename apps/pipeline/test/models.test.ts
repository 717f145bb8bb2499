import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishBundle, writeBundle } from '@plantid/bundle';
import { encodeModel, onnx } from '@plantid/onnx-convert';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runInProcess } from './in-process.js';

/** A real ONNX graph (softmax over a [n, 2] input), distinct per `seed` via its doc string. */
function softmaxOnnx(seed: number): Uint8Array {
  const info = (name: string) => ({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: 'n' }, { dimValue: 2 }] },
      },
    },
  });
  return encodeModel({
    irVersion: 8,
    docString: `fixture ${seed}`,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'g',
      input: [info('x')],
      output: [info('y')],
      node: [{ opType: 'Softmax', input: ['x'], output: ['y'] }],
    },
  });
}

let work: string;
let registry: string;

async function publish(version: number) {
  const dir = join(work, 'bundles', String(version));
  await writeBundle(dir, {
    name: 'leaf',
    version,
    onnx: { fp32: softmaxOnnx(version) },
    labels: [
      { index: 0, id: 'a', name: 'Aloe' },
      { index: 1, id: 'b', name: 'Basil' },
    ],
    preprocess: {
      version: 1,
      size: 1,
      resize: 'stretch',
      orient: true,
      colorSpace: 'srgb',
      normalize: { scale: 255, offset: 0 },
      layout: 'NHWC',
    },
    card: '# card\n',
    hashes: { config: 'a'.repeat(64), dataset: 'b'.repeat(64), backbone: null, model: 'c'.repeat(64) },
  });
  await publishBundle(dir, registry);
}

function cli(...argv: string[]) {
  return runInProcess([...argv, '--registry', registry], []);
}

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'plantid-models-cli-'));
  registry = join(work, 'models');
});

afterEach(() => rm(work, { recursive: true, force: true }));

describe('pipeline models', () => {
  it('lists, promotes, rolls back and shows registry versions', async () => {
    expect((await cli('models', 'list')).stdout).toContain('no models in');
    await publish(1);
    await publish(2);

    expect(await cli('models', 'promote', 'leaf', '1')).toMatchObject({
      code: 0,
      stdout: 'leaf@production: (none) → 1\n',
    });
    expect((await cli('models', 'promote', 'leaf', '2')).stdout).toBe('leaf@production: 1 → 2\n');
    expect((await cli('models', 'promote', 'leaf', '2', '--alias', 'staging')).stdout).toBe(
      'leaf@staging: (none) → 2\n',
    );

    const list = await cli('models', 'list');
    expect(list.stdout).toMatch(/leaf\s+1\s+-\s/);
    expect(list.stdout).toMatch(/leaf\s+2\s+latest, production, staging\s/);

    expect(await cli('models', 'rollback', 'leaf')).toMatchObject({
      code: 0,
      stdout: 'leaf@production: 2 → 1 (rolled back)\n',
    });
    const json = JSON.parse((await cli('models', 'list', '--json')).stdout);
    expect(json[0].aliases).toEqual({ latest: 2, production: 1, staging: 2 });

    const show = await cli('models', 'show', 'leaf@production');
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('leaf v1: verified (4 files)');
    expect(show.stdout).toContain('classes    2: Aloe, Basil');
  });

  it('exits 2 with one line naming the problem', async () => {
    await publish(1);
    const noEarlier = await cli('models', 'rollback', 'leaf', '--alias', 'latest');
    expect(noEarlier.code).toBe(2);
    expect(noEarlier.stderr).toMatch(
      /^error: .*leaf@latest has no earlier version to roll back to \(it is at 1\)/,
    );

    expect(await cli('models', 'promote', 'leaf', 'two')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('version "two"'),
    });
    expect((await cli('models', 'promote', 'tree', '1')).stderr).toContain(
      'no model "tree" in the registry (models: leaf)',
    );

    const onnxPath = join(registry, 'leaf', '1', 'model.onnx');
    const bytes = await readFile(onnxPath);
    bytes[5] = bytes[5]! ^ 1;
    await writeFile(onnxPath, bytes);
    const damaged = await cli('models', 'show', 'leaf@1');
    expect(damaged.code).toBe(2);
    expect(damaged.stderr).toContain(`error: ${onnxPath}: model.onnx does not match its sha256`);
  });
});
