import { loadLayersModel } from '@plantid/engine';
import { layersModelToOnnx } from '@plantid/onnx-convert';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertParity, checkVariantParity } from '../src/parity/parity.js';
import { quantizeVariants } from '../src/quantize/quantize.js';
import { realBatch, SHARED_MODEL } from './quantize-parity-helpers.js';

const N = 8;
let model: tf.LayersModel;
let images: { batch: Float32Array; labels: number[] };

beforeAll(async () => {
  model = await loadLayersModel(SHARED_MODEL);
  images = await realBatch(N);
});

describe('checkVariantParity', () => {
  it('passes the shared model fp32/fp16/int8 on real photos, with sizes of diffs and accuracy change', async () => {
    const fp32 = layersModelToOnnx(model);
    const { onnx } = await quantizeVariants(fp32, ['fp16', 'int8']);
    const result = await checkVariantParity({
      model,
      onnx: { fp32, ...onnx },
      batch: images.batch,
      n: N,
      labels: images.labels,
    });
    expect(result.samples).toBe(N);
    expect(result.variants.fp32?.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(result.variants.fp32?.top1Agreement).toBe(1);
    expect(result.variants.fp16?.top1Agreement).toBeGreaterThanOrEqual(0.99);
    expect(result.variants.int8?.top1Agreement).toBeGreaterThanOrEqual(0.99);
    // Quantised weights move the outputs more than fp32 does, but not by much.
    expect(result.variants.int8?.maxAbsDiff).toBeGreaterThan(result.variants.fp32?.maxAbsDiff ?? 0);
    expect(result.variants.int8?.maxAbsDiff).toBeLessThan(0.1);
    const int8 = result.variants.int8;
    expect(int8?.accuracyChange).toBeCloseTo((int8?.accuracy ?? 0) - (result.referenceAccuracy ?? 0), 10);
    expect(result.passed).toBe(true);
    expect(() => assertParity(result)).not.toThrow();
  });

  it('fails, and assertParity exits 1 naming the variant, when the ONNX model is not the tfjs model', async () => {
    const build = (seed: number) =>
      tf.sequential({
        layers: [
          tf.layers.conv2d({
            inputShape: [224, 224, 3],
            filters: 4,
            kernelSize: 7,
            strides: 4,
            kernelInitializer: tf.initializers.glorotNormal({ seed }),
          }),
          tf.layers.globalAveragePooling2d({}),
          tf.layers.dense({
            units: 5,
            activation: 'softmax',
            kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 1 }),
          }),
        ],
      });
    const other = layersModelToOnnx(build(2));
    const result = await checkVariantParity({
      model: build(1),
      onnx: { fp32: other },
      batch: images.batch,
      n: N,
    });
    expect(result.passed).toBe(false);
    expect(result.variants.fp32?.passed).toBe(false);
    expect(() => assertParity(result, 'runs/x/export')).toThrowError(
      /parity check failed on 8 images: fp32 \(max abs diff/,
    );
    try {
      assertParity(result);
    } catch (error) {
      expect((error as { exitCode?: number }).exitCode).toBe(1);
    }
  });
});
