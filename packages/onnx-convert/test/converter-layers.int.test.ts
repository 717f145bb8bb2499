import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRandom } from '@plantid/core';
import { createEngine, initTfjsBackend } from '@plantid/engine';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxCheck } from '../../../test/support/onnx-checker.js';
import { layersModelToOnnx } from '../src/index.js';
import { maxAbsDiff } from './helpers.js';

/** Deterministic PRNG (core's mulberry32) so the constructed cases are the same every run. */
const rng = (seed: number) => createRandom(seed);

/** Non-trivial BatchNorm statistics, so folding is actually exercised. */
function randomizeBatchNorms(model: tf.LayersModel, random: () => number): void {
  for (const layer of model.layers) {
    if (layer instanceof tf.LayersModel) randomizeBatchNorms(layer, random);
    if (layer.getClassName() !== 'BatchNormalization') continue;
    layer.setWeights(
      layer.getWeights().map((w, i, all) => {
        const isVariance = i === all.length - 1;
        const isGamma = i === 0 && all.length === 4;
        const values = Float32Array.from({ length: w.size }, () =>
          isVariance ? 0.3 + 2 * random() : isGamma ? 0.5 + random() : random() - 0.5,
        );
        return tf.tensor(values, w.shape);
      }),
    );
  }
}

const L = tf.layers;
const input = (shape: number[]) => tf.input({ shape });

/** name → [model builder, per-image input shape]. Small shapes, odd and even, to exercise asymmetric 'same' pads. */
const cases: Record<string, [() => tf.LayersModel, number[]]> = {};
for (const padding of ['same', 'valid'] as const) {
  for (const strides of [1, 2]) {
    for (const size of [7, 8]) {
      for (const kernelSize of [2, 3]) {
        cases[`Conv2D ${padding} stride ${strides} kernel ${kernelSize} on ${size}x${size}`] = [
          () =>
            tf.sequential({
              layers: [
                L.conv2d({
                  inputShape: [size, size, 3],
                  filters: 4,
                  kernelSize,
                  strides,
                  padding,
                  activation: 'relu',
                }),
              ],
            }),
          [size, size, 3],
        ];
      }
      cases[`DepthwiseConv2D ${padding} stride ${strides} on ${size}x${size}, depth multiplier 2`] = [
        () =>
          tf.sequential({
            layers: [
              L.depthwiseConv2d({
                inputShape: [size, size, 3],
                kernelSize: 3,
                strides,
                padding,
                depthMultiplier: 2,
                useBias: true,
              }),
            ],
          }),
        [size, size, 3],
      ];
      cases[`MaxPooling2D ${padding} stride ${strides} on ${size}x${size}`] = [
        () =>
          tf.sequential({
            layers: [L.maxPooling2d({ inputShape: [size, size, 3], poolSize: 3, strides, padding })],
          }),
        [size, size, 3],
      ];
      cases[`AveragePooling2D ${padding} stride ${strides} on ${size}x${size}`] = [
        () =>
          tf.sequential({
            layers: [L.averagePooling2d({ inputShape: [size, size, 3], poolSize: 3, strides, padding })],
          }),
        [size, size, 3],
      ];
    }
  }
}
Object.assign(cases, {
  'Conv2D dilation 2, no bias': [
    () =>
      tf.sequential({
        layers: [
          L.conv2d({
            inputShape: [9, 9, 2],
            filters: 3,
            kernelSize: 3,
            dilationRate: 2,
            padding: 'same',
            useBias: false,
          }),
        ],
      }),
    [9, 9, 2],
  ],
  'SeparableConv2D same stride 2': [
    () =>
      tf.sequential({
        layers: [
          L.separableConv2d({
            inputShape: [8, 8, 3],
            filters: 5,
            kernelSize: 3,
            strides: 2,
            padding: 'same',
            activation: 'relu6',
          }),
        ],
      }),
    [8, 8, 3],
  ],
  'Conv2D + BatchNormalization (folded) + ReLU max 6': [
    () =>
      tf.sequential({
        layers: [
          L.conv2d({ inputShape: [8, 8, 3], filters: 6, kernelSize: 3, useBias: false }),
          L.batchNormalization({ epsilon: 1e-3 }),
          L.reLU({ maxValue: 6 }),
        ],
      }),
    [8, 8, 3],
  ],
  'BatchNormalization on the input (not foldable), ReLU without max': [
    () => tf.sequential({ layers: [L.batchNormalization({ inputShape: [5, 5, 3] }), L.reLU()] }),
    [5, 5, 3],
  ],
  'Dense + BatchNormalization (folded into Gemm) + BatchNormalization without scale/center': [
    () =>
      tf.sequential({
        layers: [
          L.dense({ inputShape: [6], units: 4 }),
          L.batchNormalization(),
          L.batchNormalization({ scale: false, center: false }),
        ],
      }),
    [6],
  ],
  'ZeroPadding2D into Conv2D (folded), MaxPooling2D (valid and same) and AveragePooling2D': [
    () => {
      const x = input([7, 7, 3]);
      const a = L.conv2d({ filters: 2, kernelSize: 3 }).apply(
        L.zeroPadding2d({
          padding: [
            [0, 1],
            [1, 2],
          ],
        }).apply(x),
      ) as tf.SymbolicTensor;
      // Negative windows next to the zero padding: tf gives 0 there, a naive Pad→MaxPool fusion would not.
      const negative = L.activation({ activation: 'linear' }).apply(
        L.rescaling({ scale: 1, offset: -5 }).apply(a),
      ) as tf.SymbolicTensor;
      const b = L.maxPooling2d({ poolSize: 2 }).apply(
        L.zeroPadding2d({ padding: 1 }).apply(negative),
      ) as tf.SymbolicTensor;
      const c = L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(
        L.zeroPadding2d({
          padding: [
            [1, 0],
            [0, 2],
          ],
        }).apply(negative),
      ) as tf.SymbolicTensor;
      const d = L.averagePooling2d({ poolSize: 2, strides: 1 }).apply(
        L.zeroPadding2d({ padding: 1 }).apply(negative),
      ) as tf.SymbolicTensor;
      const flat = [b, c, d].map((t) => L.flatten().apply(t) as tf.SymbolicTensor);
      return tf.model({ inputs: x, outputs: L.concatenate().apply(flat) as tf.SymbolicTensor });
    },
    [7, 7, 3],
  ],
  'Flatten of a 4-D tensor keeps NHWC order, Dense softmax, Dropout': [
    () =>
      tf.sequential({
        layers: [
          L.conv2d({ inputShape: [4, 4, 3], filters: 2, kernelSize: 1 }),
          L.flatten(),
          L.dropout({ rate: 0.5 }),
          L.dense({ units: 3, activation: 'softmax' }),
        ],
      }),
    [4, 4, 3],
  ],
  'Reshape, Dense on rank 3, Permute': [
    () =>
      tf.sequential({
        layers: [
          L.reshape({ inputShape: [12], targetShape: [3, 4] }),
          L.dense({ units: 5, activation: 'tanh' }),
          L.permute({ dims: [2, 1] }),
          L.flatten(),
        ],
      }),
    [12],
  ],
  'Reshape to 4-D then Conv2D': [
    () =>
      tf.sequential({
        layers: [
          L.reshape({ inputShape: [48], targetShape: [4, 4, 3] }),
          L.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }),
        ],
      }),
    [48],
  ],
  'Rescaling, GlobalAveragePooling2D, GlobalMaxPooling2D': [
    () => {
      const x = input([6, 6, 3]);
      const r = L.rescaling({ scale: 1 / 127.5, offset: -1 }).apply(x) as tf.SymbolicTensor;
      const c = L.conv2d({ filters: 4, kernelSize: 3 }).apply(r) as tf.SymbolicTensor;
      const avg = L.globalAveragePooling2d({}).apply(c) as tf.SymbolicTensor;
      const max = L.globalMaxPooling2d({}).apply(c) as tf.SymbolicTensor;
      return tf.model({ inputs: x, outputs: L.concatenate().apply([avg, max]) as tf.SymbolicTensor });
    },
    [6, 6, 3],
  ],
  'Add, Multiply, Average, Maximum, Minimum, Concatenate on 4-D': [
    () => {
      const x = input([5, 5, 4]);
      const a = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(x) as tf.SymbolicTensor;
      const b = L.conv2d({ filters: 4, kernelSize: 1 }).apply(x) as tf.SymbolicTensor;
      const merged = [L.add(), L.multiply(), L.average(), L.maximum(), L.minimum()].map(
        (m) => m.apply([a, b]) as tf.SymbolicTensor,
      );
      // `x` itself is channels-last (never transposed): mixing layouts must still line up.
      return tf.model({
        inputs: x,
        outputs: L.concatenate({ axis: -1 }).apply([...merged, x]) as tf.SymbolicTensor,
      });
    },
    [5, 5, 4],
  ],
  'Activation layers: every supported activation': [
    () =>
      tf.sequential({
        layers: [
          L.dense({ inputShape: [8], units: 8 }),
          ...[
            'relu6',
            'sigmoid',
            'linear',
            'elu',
            'selu',
            'softplus',
            'softsign',
            'hardSigmoid',
            'swish',
            'mish',
            'gelu',
            'gelu_new',
            'tanh',
            'relu',
            'softmax',
          ].map((activation) => L.activation({ activation: activation as 'relu' })),
        ],
      }),
    [8],
  ],
  'LeakyReLU, ELU, ThresholdedReLU, Softmax layer on 4-D (axis -1)': [
    () =>
      tf.sequential({
        layers: [
          L.conv2d({ inputShape: [4, 4, 3], filters: 3, kernelSize: 1 }),
          L.leakyReLU({ alpha: 0.2 }),
          L.elu(),
          L.thresholdedReLU({ theta: 0.1 }),
          L.softmax({ axis: -1 }),
        ],
      }),
    [4, 4, 3],
  ],
  'log softmax activation on Dense': [
    () =>
      tf.sequential({
        layers: [L.dense({ inputShape: [4], units: 3, activation: 'logSoftmax' as 'softmax' })],
      }),
    [4],
  ],
  'Sequential wrapping a functional model and a nested Sequential head (the shared model shape)': [
    () => {
      const x = input([8, 8, 3]);
      const c = L.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'stem' }).apply(
        x,
      ) as tf.SymbolicTensor;
      const bn = L.batchNormalization().apply(c) as tf.SymbolicTensor;
      const backbone = tf.model({
        inputs: x,
        outputs: L.reLU({ maxValue: 6, name: 'feature' }).apply(bn) as tf.SymbolicTensor,
        name: 'backbone',
      });
      const trunk = tf.sequential({ layers: [backbone, L.globalAveragePooling2d({})] });
      const head = tf.sequential({ layers: [L.dense({ inputShape: [4], units: 3, activation: 'softmax' })] });
      return tf.sequential({ layers: [trunk, head] });
    },
    [8, 8, 3],
  ],
  'functional model called as a layer twice inside another functional model': [
    () => {
      const inner = tf.sequential({
        layers: [L.conv2d({ inputShape: [6, 6, 2], filters: 2, kernelSize: 3, padding: 'same' }), L.reLU()],
      });
      const x = input([6, 6, 2]);
      const once = inner.apply(x) as tf.SymbolicTensor;
      const twice = inner.apply(once) as tf.SymbolicTensor;
      return tf.model({ inputs: x, outputs: L.add().apply([once, twice]) as tf.SymbolicTensor });
    },
    [6, 6, 2],
  ],
});

let dir: string;
const written: string[] = [];

beforeAll(async () => {
  await initTfjsBackend();
  dir = await mkdtemp(join(tmpdir(), 'plantid-converter-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function compare(
  model: tf.LayersModel,
  shape: number[],
  bytes: Uint8Array,
  seed: number,
): Promise<number> {
  const random = rng(seed);
  const n = 3;
  const x = Float32Array.from({ length: n * shape.reduce((a, b) => a * b, 1) }, () => random() * 4 - 2);
  const onnx = await createEngine({ kind: 'onnx', model: bytes, warmUp: false, threads: 1 });
  const tfjs = await createEngine({ kind: 'tfjs', model, warmUp: false });
  try {
    expect(onnx.inputShape).toEqual(shape);
    expect(onnx.outputSize).toBe(tfjs.outputSize);
    return maxAbsDiff(await onnx.predict(x, n), await tfjs.predict(x, n));
  } finally {
    await onnx.dispose();
  }
}

describe('layersModelToOnnx matches tfjs layer by layer', () => {
  Object.entries(cases).forEach(([name, [build, shape]], index) => {
    it(name, async () => {
      const model = build();
      const random = rng(1000 + index);
      randomizeBatchNorms(model, random);
      const bytes = layersModelToOnnx(model, { name: `case_${index}` });
      const path = join(dir, `case_${index}.onnx`);
      await writeFile(path, bytes);
      written.push(path);
      expect(await compare(model, shape, bytes, index)).toBeLessThanOrEqual(1e-4);
      model.dispose();
    });
  });

  it('cuts at a named layer inside a nested model and appends global pooling', async () => {
    const x = input([8, 8, 3]);
    const feature = L.conv2d({
      filters: 5,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      name: 'cut_here',
    }).apply(x) as tf.SymbolicTensor;
    const backbone = tf.model({
      inputs: x,
      outputs: L.conv2d({ filters: 2, kernelSize: 1 }).apply(feature) as tf.SymbolicTensor,
    });
    const full = tf.sequential({ layers: [backbone, L.flatten(), L.dense({ units: 2 })] });
    const bytes = layersModelToOnnx(full, { outputLayer: 'cut_here', pooling: 'avg' });
    const path = join(dir, 'cut.onnx');
    await writeFile(path, bytes);
    written.push(path);
    const expected = tf.model({
      inputs: x,
      outputs: L.globalAveragePooling2d({}).apply(feature) as tf.SymbolicTensor,
    });
    expect(await compare(expected, [8, 8, 3], bytes, 7)).toBeLessThanOrEqual(1e-4);
  });

  it('every produced .onnx passes the official ONNX checker', async () => {
    expect(written.length).toBe(Object.keys(cases).length + 1);
    await onnxCheck(written);
  });
});

describe('layersModelToOnnx refuses what it cannot convert', () => {
  it('names every unsupported layer by class and name', () => {
    const model = tf.sequential({
      layers: [
        L.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3 }),
        L.upSampling2d({ size: [2, 2], name: 'grow' }),
        L.reshape({ targetShape: [12 * 12, 2] }),
        L.lstm({ units: 2, name: 'memory' }),
      ],
    });
    expect(() => layersModelToOnnx(model)).toThrowError(/(?=.*UpSampling2D 'grow')(?=.*LSTM 'memory')/);
    try {
      layersModelToOnnx(model);
    } catch (error) {
      expect((error as { exitCode?: number }).exitCode).toBe(2);
    }
  });

  it('refuses channels-first convolutions and unknown cut layers with a clear message', () => {
    const model = tf.sequential({
      layers: [
        L.conv2d({
          inputShape: [3, 8, 8],
          filters: 2,
          kernelSize: 3,
          dataFormat: 'channelsFirst',
          name: 'cf',
        }),
      ],
    });
    expect(() => layersModelToOnnx(model)).toThrowError(/Conv2D 'cf' \(dataFormat channelsFirst\)/);
    const ok = tf.sequential({ layers: [L.dense({ inputShape: [2], units: 1 })] });
    expect(() => layersModelToOnnx(ok, { outputLayer: 'nope' })).toThrowError(/layer 'nope' not found/);
    expect(() => layersModelToOnnx(ok, { opset: 11 })).toThrowError(/opset 11/);
  });
});
