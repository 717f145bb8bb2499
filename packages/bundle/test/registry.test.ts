import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError, WorkError } from '@plantid/core';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BundleError,
  listModels,
  nextVersion,
  promote,
  publishBundle,
  readAliases,
  resolveBundle,
  rollback,
  writeBundle,
} from '../src/index.js';
import { bundleInput, removeTempDirs, tempDir } from './helpers/fixtures.js';
import { tinyOnnxClassifier } from './helpers/tiny-onnx.js';

afterAll(removeTempDirs);

let work: string;
let registry: string;

/** Exports version `version` of "plant" (distinct weights per version) and publishes it. */
async function exportVersion(version: number, name = 'plant') {
  const dir = join(work, 'runs', String(version), 'bundle', name, String(version));
  const input = await bundleInput(work, {
    name,
    version,
    onnx: { fp32: tinyOnnxClassifier({ size: 4, classes: 3, seed: 100 + version }) },
  });
  await writeBundle(dir, input);
  return publishBundle(dir, registry);
}

beforeEach(async () => {
  work = await tempDir('plantid-registry-');
  registry = join(work, 'models');
});

describe('publish', () => {
  it('numbers versions 1, 2, … like TF Serving and moves latest to the newest', async () => {
    expect(await nextVersion(registry, 'plant')).toBe(1);
    const v1 = await exportVersion(1);
    expect(v1).toMatchObject({
      name: 'plant',
      version: 1,
      dir: join(registry, 'plant', '1'),
      alreadyPublished: false,
    });
    expect(await nextVersion(registry, 'plant')).toBe(2);
    await exportVersion(2);
    const file = await readAliases(join(registry, 'plant'));
    expect(file.aliases).toEqual({ latest: 2 });
    expect(file.history.map((e) => [e.alias, e.action, e.from, e.version])).toEqual([
      ['latest', 'publish', null, 1],
      ['latest', 'publish', 1, 2],
    ]);
    expect(await resolveBundle('plant', registry)).toBe(join(registry, 'plant', '2'));
  });

  it('is idempotent for the same bundle and never overwrites a version with other content', async () => {
    await exportVersion(1);
    const again = await publishBundle(join(work, 'runs', '1', 'bundle', 'plant', '1'), registry);
    expect(again.alreadyPublished).toBe(true);

    const other = join(work, 'other', 'plant', '1');
    await writeBundle(
      other,
      await bundleInput(work, { onnx: { fp32: tinyOnnxClassifier({ size: 4, classes: 3, seed: 999 }) } }),
    );
    const error = await publishBundle(other, registry).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkError);
    expect((error as WorkError).message).toContain('plant version 1 already exists');
  });

  it('refuses to publish a damaged bundle', async () => {
    const dir = join(work, 'damaged', 'plant', '1');
    await writeBundle(dir, await bundleInput(work));
    await writeFile(join(dir, 'labels.json'), '[]');
    await expect(publishBundle(dir, registry)).rejects.toThrow(BundleError);
  });
});

describe('promote and rollback', () => {
  it('moves production forward and back, keeping every move in the history', async () => {
    for (const v of [1, 2, 3]) await exportVersion(v);
    expect(await promote(registry, 'plant', 1)).toMatchObject({
      alias: 'production',
      from: null,
      to: 1,
      changed: true,
    });
    expect(await promote(registry, 'plant', 3)).toMatchObject({ from: 1, to: 3 });
    expect(await promote(registry, 'plant', 3)).toMatchObject({ changed: false });
    expect(await resolveBundle('plant@production', registry)).toBe(join(registry, 'plant', '3'));

    expect(await rollback(registry, 'plant')).toMatchObject({ from: 3, to: 1 });
    expect(await resolveBundle('plant@production', registry)).toBe(join(registry, 'plant', '1'));

    const file = await readAliases(join(registry, 'plant'));
    expect(file.aliases).toEqual({ latest: 3, production: 1 });
    expect(
      file.history.filter((e) => e.alias === 'production').map((e) => [e.action, e.from, e.version]),
    ).toEqual([
      ['promote', null, 1],
      ['promote', 1, 3],
      ['rollback', 3, 1],
    ]);

    const error = await rollback(registry, 'plant').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toContain('no earlier version to roll back to (it is at 1)');
  });

  it('rolls back a stack of promotions one at a time, and works for any alias', async () => {
    for (const v of [1, 2, 3]) await exportVersion(v);
    await promote(registry, 'plant', 1, 'staging');
    await promote(registry, 'plant', 2, 'staging');
    await promote(registry, 'plant', 3, 'staging');
    expect((await rollback(registry, 'plant', 'staging')).to).toBe(2);
    expect((await rollback(registry, 'plant', 'staging')).to).toBe(1);
    expect((await rollback(registry, 'plant', 'latest')).to).toBe(2);
    expect((await readAliases(join(registry, 'plant'))).aliases).toEqual({ latest: 2, staging: 1 });
  });

  it('refuses unknown models, versions and aliases with what exists', async () => {
    await exportVersion(1);
    await expect(promote(registry, 'plant', 7)).rejects.toThrow(/plant has no version 7/);
    await expect(promote(registry, 'tree', 1)).rejects.toThrow(/no model "tree"/);
    await expect(promote(registry, 'plant', 1, '2')).rejects.toThrow(
      /alias "2": an alias starts with a letter/,
    );
    await expect(rollback(registry, 'plant', 'production')).rejects.toThrow(/has no alias "production"/);
    const error = (await resolveBundle('plant@canary', registry).catch((e: unknown) => e)) as UsageError;
    expect(error.toLine()).toMatch(/plant has no alias "canary" \(aliases: latest; versions: 1\)/);
    await expect(resolveBundle('plant@4', registry)).rejects.toThrow(
      /version 4 \(plant@4\) is not in the registry/,
    );
  });

  it('refuses to promote a damaged version', async () => {
    await exportVersion(1);
    const onnx = join(registry, 'plant', '1', 'model.onnx');
    const bytes = await readFile(onnx);
    bytes[10] = bytes[10]! ^ 0xff;
    await writeFile(onnx, bytes);
    const error = await promote(registry, 'plant', 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BundleError);
    expect((error as BundleError).file).toBe(onnx);
    expect((await readAliases(join(registry, 'plant'))).aliases.production).toBeUndefined();
  });

  it('loses no alias move when several happen at once', async () => {
    for (const v of [1, 2]) await exportVersion(v);
    await Promise.all([
      promote(registry, 'plant', 1, 'a'),
      promote(registry, 'plant', 2, 'b'),
      promote(registry, 'plant', 1, 'c'),
      promote(registry, 'plant', 2, 'd'),
    ]);
    expect((await readAliases(join(registry, 'plant'))).aliases).toEqual({
      latest: 2,
      a: 1,
      b: 2,
      c: 1,
      d: 2,
    });
  });
});

describe('resolveBundle and listModels', () => {
  it('resolves paths, name@version, name@alias and a bare name', async () => {
    await exportVersion(1);
    await exportVersion(2);
    await exportVersion(1, 'leaf');
    const runBundle = join(work, 'runs', '2', 'bundle', 'plant', '2');
    expect(await resolveBundle(runBundle, registry)).toBe(runBundle);
    expect(await resolveBundle('runs/2/bundle/plant/2', registry, { baseDir: work })).toBe(runBundle);
    expect(await resolveBundle('plant@1', registry)).toBe(join(registry, 'plant', '1'));
    expect(await resolveBundle('plant@latest', registry)).toBe(join(registry, 'plant', '2'));
    expect(await resolveBundle('leaf', registry)).toBe(join(registry, 'leaf', '1'));
    await expect(resolveBundle('./nowhere', registry, { baseDir: work })).rejects.toThrow(
      /bundle folder does not exist/,
    );
  });

  it('lists models with versions, sizes and the aliases on each', async () => {
    await exportVersion(1);
    await exportVersion(2);
    await promote(registry, 'plant', 1);
    const [plant, ...rest] = await listModels(registry);
    expect(rest).toEqual([]);
    expect(plant?.name).toBe('plant');
    expect(plant?.aliases).toEqual({ latest: 2, production: 1 });
    expect(plant?.versions.map((v) => [v.version, v.aliases])).toEqual([
      [1, ['production']],
      [2, ['latest']],
    ]);
    expect(plant?.versions[0]?.bytes).toBeGreaterThan(1000);
    expect(await listModels(join(work, 'empty'))).toEqual([]);
  });
});
