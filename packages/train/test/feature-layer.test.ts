import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '@plantid/core';
import { saveLayersModel, selectTfjsBackend } from '@plantid/engine';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFeatureExtractor, loadBackboneModel, resolveBackbone } from '../src/index.js';

type ST = tf.SymbolicTensor;

/**
 * keras.applications.MobileNet(include_top=True) in miniature, random weights: conv1, `blocks`
 * conv_dw_i/conv_pw_i blocks, then Keras's own classifier head (global pooling → reshape 1×1 →
 * dropout → 1×1 `conv_preds` → reshape → softmax), with Keras's layer names.
 */
function mobilenetV1WithHead(size: number, blocks: number, classes: number): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3] });
  const relu6 = (name: string) => tf.layers.reLU({ maxValue: 6, name });
  let x = tf.layers
    .conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'conv1' })
    .apply(input) as ST;
  x = relu6('conv1_relu').apply(tf.layers.batchNormalization({ name: 'conv1_bn' }).apply(x)) as ST;
  for (let i = 1; i <= blocks; i++) {
    x = tf.layers
      .depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: `conv_dw_${i}` })
      .apply(x) as ST;
    x = relu6(`conv_dw_${i}_relu`).apply(x) as ST;
    x = tf.layers
      .conv2d({ filters: 8 * 2 ** i, kernelSize: 1, useBias: false, name: `conv_pw_${i}` })
      .apply(x) as ST;
    x = relu6(`conv_pw_${i}_relu`).apply(x) as ST;
  }
  const channels = 8 * 2 ** blocks;
  x = tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }).apply(x) as ST;
  x = tf.layers.reshape({ targetShape: [1, 1, channels], name: 'reshape_1' }).apply(x) as ST;
  x = tf.layers.dropout({ rate: 0.001, name: 'dropout' }).apply(x) as ST;
  x = tf.layers.conv2d({ filters: classes, kernelSize: 1, name: 'conv_preds' }).apply(x) as ST;
  x = tf.layers.reshape({ targetShape: [classes], name: 'reshape_2' }).apply(x) as ST;
  x = tf.layers.activation({ activation: 'softmax', name: 'act_softmax' }).apply(x) as ST;
  return tf.model({ inputs: input, outputs: x, name: 'mobilenet_1.00_224' });
}

/** Saves `model` as a tfjs layers model.json (what model.weights points at) and loads it as train does. */
async function asBackbone(model: tf.LayersModel, options: { size?: number; resizeInput?: boolean } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'plantid-backbone-'));
  await saveLayersModel(model, dir);
  const source = await resolveBackbone(join(dir, 'model.json'), { configDir: dir, cacheDir: dir });
  return loadBackboneModel(source, options);
}

beforeAll(async () => {
  await selectTfjsBackend('forward', { env: { ...process.env, PLANTID_BACKEND: 'cpu' } });
});

describe('featureLayer: auto', () => {
  it('cuts a MobileNet with its ImageNet classifier before the pooling, not at the softmax', async () => {
    const backbone = await asBackbone(mobilenetV1WithHead(64, 3, 1000));
    const ex = buildFeatureExtractor(backbone, 'auto');
    expect(ex.featureLayer).toBe('conv_pw_3_relu');
    expect(ex.dim).toBe(64);
    const y = ex.model.predict(tf.randomUniform([2, 64, 64, 3], -1, 1)) as tf.Tensor;
    expect(y.shape).toEqual([2, 64]);
  });

  it('refuses to guess when what follows the last feature map is not a classifier, naming the candidates', () => {
    const input = tf.input({ shape: [16, 16, 3] });
    const map = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'features' }).apply(input) as ST;
    const avg = tf.layers.globalAveragePooling2d({ name: 'avg' }).apply(map) as ST;
    const max = tf.layers.globalMaxPooling2d({ name: 'max' }).apply(map) as ST;
    const both = tf.layers.concatenate({ name: 'both' }).apply([avg, max]) as ST;
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3 }).apply(both) as ST });
    let error: unknown;
    try {
      buildFeatureExtractor(model, 'auto');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).toLine()).toMatch(
      /^model\.featureLayer: featureLayer auto is unsure where the classifier starts: after 'features' come both \(Concatenate\) \(name the layer to cut at, one of 1 spatial layers: features\)$/,
    );
    expect(buildFeatureExtractor(model, 'features').dim).toBe(4);
  });
});

describe('model.resizeInput', () => {
  it('runs a fully convolutional backbone saved for 64 px at 96 px with the same weights', async () => {
    const saved = mobilenetV1WithHead(64, 3, 10);
    const at96 = await asBackbone(saved, { size: 96, resizeInput: true });
    const ex = buildFeatureExtractor(at96, 'auto');
    expect(ex.inputShape).toEqual([96, 96, 3]);
    expect((ex.model.predict(tf.zeros([1, 96, 96, 3])) as tf.Tensor).shape).toEqual([1, 64]);
    const w = (m: tf.LayersModel) => m.getLayer('conv_pw_2').getWeights()[0]!.dataSync();
    expect(Array.from(w(at96))).toEqual(Array.from(w(saved)));
    const asSaved = await asBackbone(saved, { size: 96, resizeInput: false });
    expect(buildFeatureExtractor(asSaved, 'auto').inputShape).toEqual([64, 64, 3]);
  });

  it('refuses, naming the fix, a backbone that is not fully convolutional', async () => {
    const input = tf.input({ shape: [16, 16, 3] });
    const map = tf.layers.conv2d({ filters: 2, kernelSize: 3, name: 'features' }).apply(input) as ST;
    const flat = tf.layers.flatten().apply(map) as ST;
    const vgg = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3 }).apply(flat) as ST });
    const error = await asBackbone(vgg, { size: 32, resizeInput: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).toLine()).toMatch(
      /model\.json: the backbone cannot run at 32×32 \(not fully convolutional: .*\) \(set preprocess\.size to the size it was saved for, or model\.resizeInput: false\)$/,
    );
  });
});
