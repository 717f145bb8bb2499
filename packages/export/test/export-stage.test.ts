import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError, WorkError } from '@plantid/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { exportStage, readAliases, readBundle, resolveBundle } from '../src/index.js';
import { classNames, stageFixture } from './helpers/stage-fixture.js';

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
    expect(fx.tracker.registered).toEqual([{ name: 'leafnet', dir: join(fx.registry, 'leafnet', '1'), alias: 'latest' }]);
    expect(summary).toMatchObject({ model: 'leafnet@1', parityMaxAbsDiff: parity.variants.fp32!.maxAbsDiff });

    // A resumed export of the same model finds its version instead of publishing another.
    const again = await fx.context();
    expect(await exportStage.run(again)).toMatchObject({ model: 'leafnet@1' });
    expect(again.log.lines.join('\n')).toContain('already published as leafnet@1');
    expect((await readAliases(join(fx.registry, 'leafnet'))).aliases).toEqual({ latest: 1 });
  });

  it('gives the next version to a retrained model and moves latest', async () => {
    const fx = await stageFixture({ config: { export: { quantize: [], formats: ['onnx'], parity: { samples: 4 } } }, evaluate: false });
    await exportStage.run(await fx.context());
    const model = tf.sequential({
      layers: [tf.layers.flatten({ inputShape: [32, 32, 3] }), tf.layers.dense({ units: 3, activation: 'softmax' })],
    });
    const { saveLayersModel } = await import('@plantid/engine');
    await saveLayersModel(model, join(fx.inputs.train!, 'model'));
    const ctx = await fx.context();
    await exportStage.run(ctx);
    const bundle = await readBundle(join(ctx.outDir, 'bundle', 'leafnet', '2'));
    expect(bundle.variants).toEqual(['fp32']);
    expect(bundle.metrics).toBeNull();
    expect(await readFile(bundle.cardPath, 'utf8')).toContain('has no measured accuracy');
    expect((await readAliases(join(fx.registry, 'leafnet'))).aliases).toEqual({ latest: 2 });
  });

  it('refuses quantised variants without onnx before any work', async () => {
    const fx = await stageFixture({ config: { export: { formats: ['tfjs'], quantize: ['int8'] } } });
    await expect(exportStage.validate!(fx.config, fx.work)).rejects.toThrow(UsageError);
  });

  it('fails with exit 1 and publishes nothing when a variant misses parity', async () => {
    // Near-tied logits: int8 weight rounding flips the top class on many photos.
    const fx = await stageFixture({
      config: { export: { quantize: ['int8'], parity: { samples: 12 } } },
      model: (size, classes) =>
        tf.sequential({
          layers: [
            tf.layers.globalAveragePooling2d({ inputShape: [size, size, 3] }),
            tf.layers.dense({
              units: classes,
              activation: 'softmax',
              kernelInitializer: tf.initializers.randomUniform({ minval: -1e-3, maxval: 1e-3, seed: 3 }),
            }),
          ],
        }),
    });
    const ctx = await fx.context();
    const error = await exportStage.run(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkError);
    expect((error as WorkError).exitCode).toBe(1);
    expect((error as WorkError).message).toMatch(/ONNX parity check failed for int8/);
    expect(JSON.parse(await readFile(join(ctx.workDir, 'parity.json'), 'utf8')).passed).toBe(false);
    await expect(resolveBundle('leafnet', fx.registry)).rejects.toThrow(/no model "leafnet"/);
  });
});
