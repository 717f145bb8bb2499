import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { UsageError } from '@plantid/core';
import { loadLayersModel, saveLayersModel, selectTfjsBackend } from '@plantid/engine';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildFeatureExtractor,
  checkBackboneInput,
  hashBackbone,
  splitForFinetune,
  trainStage,
  validateTrainConfig,
} from '../src/index.js';
import { backboneJson, makeConfig } from './helpers.js';

/** A MobileNetV1 with Keras layer names, any alpha and size (random weights): conv1, then conv_dw_i/conv_pw_i blocks. */
function mobilenetV1(alpha: number, size: number, blocks: number): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3] });
  const relu6 = (name: string) => tf.layers.reLU({ maxValue: 6, name });
  let x = tf.layers
    .conv2d({
      filters: Math.round(32 * alpha),
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      useBias: false,
      name: 'conv1',
    })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'conv1_bn' }).apply(x) as tf.SymbolicTensor;
  x = relu6('conv1_relu').apply(x) as tf.SymbolicTensor;
  for (let i = 1; i <= blocks; i++) {
    x = tf.layers
      .depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, name: `conv_dw_${i}` })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: `conv_dw_${i}_bn` }).apply(x) as tf.SymbolicTensor;
    x = relu6(`conv_dw_${i}_relu`).apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .conv2d({ filters: Math.round(64 * alpha * i), kernelSize: 1, useBias: false, name: `conv_pw_${i}` })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: `conv_pw_${i}_bn` }).apply(x) as tf.SymbolicTensor;
    x = relu6(`conv_pw_${i}_relu`).apply(x) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: input, outputs: x, name: `mobilenet_${alpha}_${size}` });
}

describe('backbones', () => {
  let v2: tf.LayersModel;
  beforeAll(async () => {
    await selectTfjsBackend('forward', { env: { ...process.env, PLANTID_BACKEND: 'wasm' } });
    v2 = await loadLayersModel(backboneJson);
  });

  it('cuts the shared MobileNetV2 at the last spatial layer by default and pools it', () => {
    const ex = buildFeatureExtractor(v2, 'auto');
    expect(ex.featureLayer).toBe('out_relu');
    expect(ex.dim).toBe(1280);
    expect(ex.inputShape).toEqual([224, 224, 3]);
    const y = ex.model.predict(tf.zeros([1, 224, 224, 3])) as tf.Tensor;
    expect(y.shape).toEqual([1, 1280]);
    const named = buildFeatureExtractor(v2, 'block_16_project_BN');
    expect(named.dim).toBe(112);
  });

  it('splits the top block off for fine-tuning at a single boundary tensor', () => {
    const ex = buildFeatureExtractor(v2, 'auto');
    const one = splitForFinetune(ex, 1);
    expect(one.blocks).toEqual(['Conv_1']);
    expect(one.boundaryLayer).toBe('block_16_project_BN');
    expect(one.boundaryShape).toEqual([7, 7, 112]);
    expect(one.topLayers.map((l) => l.name)).toEqual(['Conv_1', 'Conv_1_bn', 'out_relu']);
    expect(one.denseOnly).toBe(true);
    const two = splitForFinetune(ex, 2);
    expect(two.blocks).toEqual(['block_16', 'Conv_1']);
    expect(two.boundaryLayer).toBe('block_15_add');
    expect(two.denseOnly).toBe(false);
    // The top replays the extractor's own layers: same features from the boundary activations.
    const x = tf.randomUniform([1, 224, 224, 3], -1, 1, 'float32', 3);
    const direct = ex.model.predict(x) as tf.Tensor;
    for (const [split, layer] of [
      [one, 'block_16_project_BN'],
      [two, 'block_15_add'],
    ] as const) {
      const bottom = tf.model({
        inputs: ex.model.inputs,
        outputs: ex.model.getLayer(layer).inboundNodes[0]!.outputTensors[0]!,
      });
      const viaTop = split.forward(bottom.predict(x) as tf.Tensor);
      expect(tf.max(tf.abs(tf.sub(viaTop, direct))).dataSync()[0]).toBeLessThan(1e-4);
    }
  });

  it('names the candidates when the feature layer does not exist', () => {
    const error = (() => {
      try {
        buildFeatureExtractor(v2, 'block_99_add');
      } catch (e) {
        return e as UsageError;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect(error!.toLine()).toMatch(
      /^model\.featureLayer: layer 'block_99_add' is not in the backbone \(use auto or one of \d+ spatial layers: .*out_relu\)$/,
    );
    expect(() => buildFeatureExtractor(v2, 'dense_Dense1')).toThrow(/has no spatial output/);
  });

  it('handles MobileNetV1 of any alpha and size', async () => {
    for (const [alpha, size] of [
      [0.25, 64],
      [0.5, 96],
    ] as const) {
      const dir = await mkdtemp(join(tmpdir(), 'mnv1-'));
      await saveLayersModel(mobilenetV1(alpha, size, 3), dir);
      const loaded = await loadLayersModel(join(dir, 'model.json'));
      const ex = buildFeatureExtractor(loaded, 'auto');
      expect(ex.featureLayer).toBe('conv_pw_3_relu');
      expect(ex.dim).toBe(Math.round(64 * alpha * 3));
      expect(ex.inputShape).toEqual([size, size, 3]);
      const split = splitForFinetune(ex, 1);
      expect(split.blocks).toEqual(['conv_3']);
      expect(split.boundaryLayer).toBe('conv_pw_2_relu');
      expect(split.denseOnly).toBe(false);
    }
  });

  it('refuses an input size the backbone does not take, and files that are not layers models', async () => {
    expect(() => checkBackboneInput([224, 224, 3], 192, 'model.json')).toThrow(
      /preprocess.size is 192 but the backbone takes 224×224/,
    );
    expect(() => checkBackboneInput([null, null, 3], 192, 'model.json')).not.toThrow();
    const dir = await mkdtemp(join(tmpdir(), 'graph-'));
    await writeFile(
      join(dir, 'model.json'),
      JSON.stringify({ format: 'graph-model', modelTopology: null, weightsManifest: [] }),
    );
    await expect(hashBackbone(join(dir, 'model.json'))).rejects.toThrow(/not a tfjs layers model/);
    const fixedSize = makeConfig({
      preprocess: { size: 160 },
      model: { weights: backboneJson, resizeInput: false },
    });
    await expect(validateTrainConfig(fixedSize, '/')).rejects.toBeInstanceOf(UsageError);
    // By default the fully convolutional MobileNetV2 is rebuilt at the asked size instead.
    await expect(
      validateTrainConfig(makeConfig({ preprocess: { size: 160 } }), '/'),
    ).resolves.toBeUndefined();
    const badLayer = makeConfig({ model: { weights: backboneJson, featureLayer: 'nope' } });
    await expect(validateTrainConfig(badLayer, '/')).rejects.toThrow(/featureLayer|not in the backbone/);
    const missing = makeConfig({ model: { weights: join(dir, 'absent.json') } });
    await expect(validateTrainConfig(missing, '/')).rejects.toThrow(/backbone not found/);
  });
});

describe('the train stage cache key and the backbone', () => {
  it('changes when a local backbone file changes, not when it is only touched', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plantid-backbone-key-'));
    await cp(dirname(backboneJson), dir, { recursive: true });
    const fingerprint = () =>
      trainStage.fingerprint!(
        makeConfig({ model: { weights: 'model.json', backbone: 'mobilenet_v2_0.35' } }),
        dir,
      );
    const before = await fingerprint();
    const weights = join(dir, 'weights.bin');
    const bytes = await readFile(weights);
    await writeFile(weights, bytes);
    expect(await fingerprint()).toBe(before);
    bytes[bytes.length - 1]! ^= 1;
    await writeFile(weights, bytes);
    expect(await fingerprint()).not.toBe(before);
  });

  it('leaves a URL backbone to the config (the key must not change once it is downloaded)', async () => {
    const config = makeConfig({
      model: { weights: 'https://example.org/mobilenet/model.json', backbone: 'mobilenet_v2_0.35' },
    });
    expect(await trainStage.fingerprint!(config, tmpdir())).toBeNull();
  });
});
