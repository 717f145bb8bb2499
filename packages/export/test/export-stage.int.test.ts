import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readAliases, readBundle, resolveBundle } from '@plantid/bundle';
import { readDatasetOutput, UsageError, WorkError } from '@plantid/core';
import { saveLayersModel } from '@plantid/engine';
import { specFromConfig } from '@plantid/preprocess';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs } from '../../bundle/test/helpers/fixtures.js';
import { exportStage } from '../src/index.js';
import { loadParityBatch, pickParityRecords } from '../src/stage/parity-images.js';
import { classNames, type StageFixture, stageFixture } from './helpers/stage-fixture.js';

afterAll(removeTempDirs);

describe('export stage', () => {
  it('converts, quantises, checks parity on real test photos, writes the bundle and publishes it', async () => {
    const fx = await stageFixture();
    const ctx = await fx.context();
    const summary = await exportStage.run(ctx);

    const bundleDir = join(ctx.outDir, 'bundle', 'leafnet', '1');
    const bundle = await readBundle(bundleDir);
    expect(bundle.variants).toEqual(['fp32', 'fp16', 'int8', 'tfjs']);
    expect(bundle.labels.map((l) => l.name)).toEqual(classNames);
    expect(bundle.temperature).toBe(1.21);
    expect(bundle.manifest.hashes.backbone).toBe('e'.repeat(64));
    expect(bundle.manifest.runId).toBe('r1');

    const parity = bundle.manifest.parity!;
    expect(parity.passed).toBe(true);
    expect(parity.samples).toBe(12);
    expect(parity.variants.fp32!.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(parity.variants.fp32!.top1Agreement).toBe(1);
    expect(parity.variants.int8!.top1Agreement).toBeGreaterThanOrEqual(0.99);
    expect(JSON.parse(await readFile(join(ctx.outDir, 'parity.json'), 'utf8'))).toEqual(parity);

    const card = await readFile(bundle.cardPath, 'utf8');
    for (const name of classNames) expect(card).toContain(name);
    expect(card).toContain('- CC-BY-4.0: 24 images');
    expect(card).toContain('Apache-2.0');
    expect(card).toContain('| top1 | 0.8889 |');

    expect(await resolveBundle('leafnet@latest', fx.registry)).toBe(join(fx.registry, 'leafnet', '1'));
    await readBundle(join(fx.registry, 'leafnet', '1'));
    expect(fx.tracker.registered).toEqual([
      { name: 'leafnet', dir: join(fx.registry, 'leafnet', '1'), alias: 'latest' },
    ]);
    expect(summary).toMatchObject({ model: 'leafnet@1', parityMaxAbsDiff: parity.variants.fp32!.maxAbsDiff });

    // A resumed export of the same model finds its version instead of publishing another.
    const again = await fx.context();
    expect(await exportStage.run(again)).toMatchObject({ model: 'leafnet@1' });
    expect(again.log.lines.join('\n')).toContain('already published as leafnet@1');
    expect((await readAliases(join(fx.registry, 'leafnet'))).aliases).toEqual({ latest: 1 });
  });

  it('gives the next version to a retrained model and moves latest', async () => {
    const fx = await stageFixture({
      config: { export: { quantize: [], formats: ['onnx'], parity: { samples: 4 } } },
      evaluate: false,
    });
    await exportStage.run(await fx.context());
    fx.tracker.registerModel = async () => {
      throw new Error('tracking server unreachable');
    };
    const model = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [32, 32, 3] }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    await saveLayersModel(model, join(fx.inputDirs.train!, 'model'));
    const ctx = await fx.context();
    await exportStage.run(ctx);
    const bundle = await readBundle(join(ctx.outDir, 'bundle', 'leafnet', '2'));
    expect(bundle.variants).toEqual(['fp32']);
    expect(bundle.metrics).toBeNull();
    const card = await readFile(bundle.cardPath, 'utf8');
    expect(card).toContain('has no measured accuracy');
    expect(card).toMatch(/Pretrained weights \(mobilenet_v2, .*\): Apache-2.0 \(train.json\)/);
    expect((await readAliases(join(fx.registry, 'leafnet'))).aliases).toEqual({ latest: 2 });
    expect(ctx.log.lines.join('\n')).toContain(
      'could not register leafnet@2 with tracking: tracking server unreachable',
    );
  });

  it('exports a tfjs-only bundle without conversion or parity when formats is [tfjs]', async () => {
    const fx = await stageFixture({ config: { export: { formats: ['tfjs'], quantize: [] } } });
    const ctx = await fx.context();
    expect(await exportStage.run(ctx)).toMatchObject({
      model: 'leafnet@1',
      onnxMB: null,
      parityMaxAbsDiff: null,
    });
    const bundle = await readBundle(join(fx.registry, 'leafnet', '1'));
    expect(bundle.variants).toEqual(['tfjs']);
    expect(bundle.manifest.parity).toBeNull();
  });

  it('refuses quantised variants without onnx before any work', async () => {
    const fx = await stageFixture({ config: { export: { formats: ['tfjs'], quantize: ['int8'] } } });
    await expect(exportStage.validate!(fx.config, fx.work)).rejects.toThrow(UsageError);
  });

  it('fails with exit 1 and publishes nothing when a variant misses parity', async () => {
    const fx = await stageFixture({ config: { export: { quantize: ['int8'], parity: { samples: 12 } } } });
    await saveLayersModel(await nearTieModel(fx), join(fx.inputDirs.train!, 'model'));
    const ctx = await fx.context();
    const error = await exportStage.run(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkError);
    expect((error as WorkError).exitCode).toBe(1);
    expect((error as WorkError).message).toMatch(/ONNX parity check failed on 12 images: int8 \(/);
    expect((error as WorkError).message).not.toMatch(/fp32 \(/);
    const report = JSON.parse(await readFile(join(ctx.workDir, 'parity.json'), 'utf8'));
    expect(report.passed).toBe(false);
    expect(report.variants.fp32.passed).toBe(true);
    expect(report.variants.int8.top1Agreement).toBeLessThan(0.99);
    await expect(resolveBundle('leafnet', fx.registry)).rejects.toThrow(/no model "leafnet"/);
  });
});

/**
 * A classifier whose classes 0 and 1 differ by weight offsets far below one int8 step, with a
 * bias that splits the parity photos evenly between them: fp32 (tfjs and ONNX) tells them apart,
 * int8 weight rounding erases the difference, so about half the photos change class.
 */
async function nearTieModel(fx: StageFixture): Promise<tf.LayersModel> {
  const size = fx.config.preprocess.size;
  const features = size * size * 3;
  const { records } = await readDatasetOutput(fx.inputDirs.dataset!, {
    config: fx.config,
    configDir: fx.work,
  });
  const picked = pickParityRecords(records, fx.config.export.parity.samples);
  const batch = await loadParityBatch(picked, specFromConfig(fx.config.preprocess), (r) => r.file);

  let seed = 11;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return (seed / 2 ** 31) * 2 - 1;
  };
  const w = Float32Array.from({ length: features }, () => 0.05 * random());
  const largest = w.reduce((best, v, i) => (Math.abs(v) > Math.abs(w[best]!) ? i : best), 0);
  const delta = Float32Array.from({ length: features }, (_, i) =>
    i === largest ? 0 : 3e-5 * Math.sign(random()),
  );
  const margins = picked
    .map((_, n) => delta.reduce((sum, d, i) => sum + d * batch[n * features + i]!, 0))
    .sort((a, b) => a - b);
  const median = (margins[5]! + margins[6]!) / 2;

  const kernel = new Float32Array(features * 3);
  for (let i = 0; i < features; i++) kernel.set([w[i]!, w[i]! + delta[i]!, w[i]!], i * 3);
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [size, size, 3] }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  model.layers[1]!.setWeights([tf.tensor2d(kernel, [features, 3]), tf.tensor1d([0, -median, -10])]);
  return model;
}
