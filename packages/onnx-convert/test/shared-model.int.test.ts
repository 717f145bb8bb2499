import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine, loadLayersModel } from '@plantid/engine';
import type * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxCheck } from '../../../test/support/onnx-checker.js';
import { findLayer, layersModelToOnnx } from '../src/index.js';
import { argmaxRows, imageBatch, maxAbsDiff, realImagePaths, SHARED_MODEL } from './helpers.js';

const N = 6;
let dir: string;
let model: tf.LayersModel;
let images: Float32Array;
const paths = { full: '', backbone: '', features: '' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plantid-shared-onnx-'));
  model = await loadLayersModel(SHARED_MODEL);
  images = await imageBatch(await realImagePaths(N));
  paths.full = join(dir, 'full.onnx');
  paths.backbone = join(dir, 'backbone.onnx');
  paths.features = join(dir, 'features.onnx');
  await writeFile(paths.full, layersModelToOnnx(model));
  await writeFile(
    paths.backbone,
    layersModelToOnnx(model, {
      outputLayer: 'out_relu',
      pooling: 'avg',
      name: 'mobilenetv2_0.35_224_backbone',
    }),
  );
  await writeFile(paths.features, layersModelToOnnx(model, { outputLayer: 'out_relu' }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function bothEngines(onnxPath: string, reference: tf.LayersModel | string): Promise<[Engine, Engine]> {
  return [
    await createEngine({ kind: 'onnx', model: onnxPath }),
    await createEngine({ kind: 'tfjs', model: reference }),
  ];
}

describe('the shared MobileNetV2-0.35 (Sequential around a functional backbone)', () => {
  it('converts to ONNX models that pass the official checker', async () => {
    await onnxCheck([paths.full, paths.backbone, paths.features]);
  });

  it('full model: ONNX Runtime matches tfjs within 1e-4 on real photos, same top-1', async () => {
    const [onnx, tfjs] = await bothEngines(paths.full, SHARED_MODEL);
    expect(onnx.inputShape).toEqual([224, 224, 3]);
    expect(onnx.outputSize).toBe(2);
    const a = await onnx.predict(images, N);
    const b = await tfjs.predict(images, N);
    expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-4);
    expect(argmaxRows(a, N)).toEqual(argmaxRows(b, N));
    await Promise.all([onnx.dispose(), tfjs.dispose()]);
  });

  it('backbone cut at out_relu + average pooling matches the same cut in tfjs (1280-d embeddings)', async () => {
    const tfjs = await import('@tensorflow/tfjs');
    const feature = findLayer(model, 'out_relu');
    expect(feature).toBeDefined();
    const pooled = tfjs.layers
      .globalAveragePooling2d({})
      .apply(feature?.output as tf.SymbolicTensor) as tf.SymbolicTensor;
    const cut = tfjs.model({ inputs: model.inputs, outputs: pooled });
    const [onnx, reference] = await bothEngines(paths.backbone, cut);
    expect(onnx.outputSize).toBe(1280);
    expect(maxAbsDiff(await onnx.predict(images, N), await reference.predict(images, N))).toBeLessThanOrEqual(
      1e-4,
    );
    await onnx.dispose();
  });

  it('backbone without pooling returns the 7×7×1280 feature map in NHWC order like tfjs', async () => {
    const tfjs = await import('@tensorflow/tfjs');
    const cut = tfjs.model({
      inputs: model.inputs,
      outputs: findLayer(model, 'out_relu')?.output as tf.SymbolicTensor,
    });
    const [onnx, reference] = await bothEngines(paths.features, cut);
    expect(onnx.outputSize).toBe(7 * 7 * 1280);
    const x = images.subarray(0, 2 * 224 * 224 * 3);
    // Raw ReLU6 maps (values up to 6) after 52 convolutions: float32 summation order alone moves
    // them by ~1e-4 (tfjs wasm vs tfjs cpu differ by 8e-5 here); pooling and softmax bring it under 1e-4.
    expect(maxAbsDiff(await onnx.predict(x, 2), await reference.predict(x, 2))).toBeLessThanOrEqual(5e-4);
    await onnx.dispose();
  });
});

describe('Engine', () => {
  it('splits batches larger than maxBatch and returns the same outputs', async () => {
    const whole = await createEngine({ kind: 'onnx', model: paths.full });
    const chunked = await createEngine({ kind: 'onnx', model: paths.full, maxBatch: 4, threads: 1 });
    expect(maxAbsDiff(await chunked.predict(images, N), await whole.predict(images, N))).toBeLessThanOrEqual(
      1e-6,
    );
    await Promise.all([whole.dispose(), chunked.dispose()]);
  });

  it('refuses a batch of the wrong length, and a missing model file, with one clear line', async () => {
    const onnx = await createEngine({ kind: 'onnx', model: paths.full, warmUp: false });
    await expect(onnx.predict(new Float32Array(10), 1)).rejects.toThrow(/expected n × 224×224×3 = 150528/);
    await onnx.dispose();
    await expect(createEngine({ kind: 'onnx', model: join(dir, 'nope.onnx') })).rejects.toMatchObject({
      exitCode: 2,
      where: join(dir, 'nope.onnx'),
    });
    await expect(createEngine({ kind: 'tfjs', model: join(dir, 'nope/model.json') })).rejects.toMatchObject({
      exitCode: 2,
    });
  });
});
