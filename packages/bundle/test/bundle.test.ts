import { appendFile, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256, UsageError, WorkError } from '@plantid/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleError, readBundle, writeBundle } from '../src/index.js';
import { bundleInput, labels, metrics, removeTempDirs, spec, tempDir } from './helpers/fixtures.js';

afterAll(removeTempDirs);

let work: string;
let bundleDir: string;

beforeAll(async () => {
  work = await tempDir();
  bundleDir = join(work, 'bundle', 'plant', '1');
  await writeBundle(bundleDir, await bundleInput(work));
});

/** A fresh copy of the good bundle to damage. */
async function copyOfBundle(): Promise<string> {
  const dir = join(await tempDir('plantid-damaged-'), 'plant', '1');
  const { cp } = await import('node:fs/promises');
  await cp(bundleDir, dir, { recursive: true });
  return dir;
}

async function refusal(dir: string): Promise<BundleError> {
  const error = await readBundle(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BundleError);
  return error as BundleError;
}

describe('writeBundle → readBundle', () => {
  it('round-trips labels, preprocess spec, metrics and every model variant', async () => {
    const input = await bundleInput(work);
    const bundle = await readBundle(bundleDir);
    expect(bundle.name).toBe('plant');
    expect(bundle.version).toBe(1);
    expect(bundle.labels).toEqual(labels);
    expect(bundle.preprocess).toEqual(spec);
    expect(bundle.metrics).toEqual(metrics);
    expect(bundle.temperature).toBe(1.37);
    expect(bundle.variants).toEqual(['fp32', 'int8', 'tfjs']);
    expect(sha256(await readFile(bundle.modelPath('fp32')))).toBe(sha256(input.onnx!.fp32!));
    expect(sha256(await readFile(bundle.modelPath('int8')))).toBe(sha256(input.onnx!.int8!));
    expect(bundle.modelPath('tfjs')).toBe(join(bundleDir, 'tfjs', 'model.json'));
    expect(() => bundle.modelPath('fp16')).toThrow(/no fp16 model \(it has: fp32, int8, tfjs\)/);
    expect(bundle.manifest.model.inputShape).toEqual([null, 4, 4, 3]);
    expect(bundle.manifest.parity?.variants.int8?.top1Agreement).toBe(1);
  });

  it('lists the sha256 and size of every file but the manifest', async () => {
    const { manifest } = await readBundle(bundleDir);
    expect(Object.keys(manifest.files).sort()).toEqual([
      'card.md',
      'labels.json',
      'metrics.json',
      'model.int8.onnx',
      'model.onnx',
      'preprocess.json',
      'tfjs/model.json',
      'tfjs/weights.bin',
    ]);
    const onnx = await readFile(join(bundleDir, 'model.onnx'));
    expect(manifest.files['model.onnx']).toEqual({ sha256: sha256(onnx), bytes: onnx.byteLength });
  });

  it('copies only model.json and the shards it lists into tfjs/', async () => {
    const input = await bundleInput(work);
    await writeFile(join(input.tfjsDir!, 'notes.txt'), 'scratch');
    const dir = join(work, 'stray');
    await writeBundle(dir, input);
    expect((await readdir(join(dir, 'tfjs'))).sort()).toEqual(['model.json', 'weights.bin']);
  });

  it('has no metrics.json and temperature 1 when evaluate did not run', async () => {
    const dir = join(work, 'no-metrics');
    await writeBundle(dir, await bundleInput(work, { metrics: undefined }));
    const bundle = await readBundle(dir);
    expect(bundle.metrics).toBeNull();
    expect(bundle.temperature).toBe(1);
  });

  it('refuses to write a bundle without a model or with a variant but no fp32', async () => {
    await expect(
      writeBundle(join(work, 'x'), await bundleInput(work, { onnx: {}, tfjsDir: undefined })),
    ).rejects.toThrow(UsageError);
    const input = await bundleInput(work);
    await expect(
      writeBundle(join(work, 'y'), { ...input, onnx: { int8: input.onnx!.int8! } }),
    ).rejects.toThrow(/need the fp32 model.onnx/);
  });

  it('leaves the previous bundle intact when a rewrite fails half-way', async () => {
    const dir = join(work, 'rewrite');
    await writeBundle(dir, await bundleInput(work));
    const input = await bundleInput(work);
    await rm(join(input.tfjsDir!, 'weights.bin'));
    const error = await writeBundle(dir, input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkError);
    expect((error as WorkError).toLine()).toContain('weights.bin');
    await expect(readBundle(dir)).resolves.toMatchObject({ version: 1 });
    expect((await readdir(work)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('readBundle refuses a damaged or incompatible bundle, naming the file', () => {
  const files = [
    'model.onnx',
    'model.int8.onnx',
    'tfjs/weights.bin',
    'tfjs/model.json',
    'labels.json',
    'preprocess.json',
    'metrics.json',
    'card.md',
  ];
  it.each(files)('one flipped byte in %s', async (file) => {
    const dir = await copyOfBundle();
    const path = join(dir, file);
    const bytes = await readFile(path);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0x01;
    await writeFile(path, bytes);
    const error = await refusal(dir);
    expect(error.code).toBe('hash');
    expect(error.file).toBe(path);
    expect(error.toLine()).toContain(file);
    expect(error.exitCode).toBe(2);
  });

  it('a truncated file', async () => {
    const dir = await copyOfBundle();
    await truncate(join(dir, 'model.onnx'), 100);
    const error = await refusal(dir);
    expect(error.code).toBe('size');
    expect(error.message).toMatch(/model\.onnx is 100 bytes/);
  });

  it('a missing file', async () => {
    const dir = await copyOfBundle();
    await rm(join(dir, 'tfjs', 'weights.bin'));
    const error = await refusal(dir);
    expect(error.code).toBe('missing');
    expect(error.message).toContain('tfjs/weights.bin');
  });

  it('a file added after sealing', async () => {
    const dir = await copyOfBundle();
    await writeFile(join(dir, 'model.extra.onnx'), 'x');
    const error = await refusal(dir);
    expect(error.code).toBe('unlisted');
    expect(error.message).toContain('model.extra.onnx');
  });

  it('a newer schema version', async () => {
    const dir = await copyOfBundle();
    const path = join(dir, 'manifest.json');
    const manifest = JSON.parse(await readFile(path, 'utf8'));
    await writeFile(path, JSON.stringify({ ...manifest, schemaVersion: 2 }));
    const error = await refusal(dir);
    expect(error.code).toBe('schema');
    expect(error.file).toBe(path);
    expect(error.toLine()).toMatch(
      /manifest\.json: bundle schema version 2 is not supported .*upgrade plantid/,
    );
  });

  it('a manifest that is not JSON', async () => {
    const dir = await copyOfBundle();
    await appendFile(join(dir, 'manifest.json'), '}');
    expect((await refusal(dir)).message).toContain('manifest.json is not valid JSON');
  });

  it('a folder that is not a bundle', async () => {
    const error = await refusal(work);
    expect(error.code).toBe('not-a-bundle');
    expect(error.file).toBe(join(work, 'manifest.json'));
  });
});
