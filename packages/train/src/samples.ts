import { createRandom } from '@plantid/core';
import * as tf from '@tensorflow/tfjs';
import { smoothedCrossEntropy } from './head.js';

/** Rows of samples (features or activations) with integer labels, stored flat. */
export interface Samples {
  x: Float32Array;
  /** Shape of one sample, e.g. [1280] or [7, 7, 56]. */
  shape: number[];
  y: Int32Array;
}

export interface Trainable {
  /** Variables to train, in a fixed order. */
  variables: tf.Variable[];
  /** Logits for a batch; `dropoutSeed` given = training step. */
  logits(x: tf.Tensor, dropoutSeed?: number): tf.Tensor2D;
}

/** A 32-bit seed mixed from several (FNV-style): per epoch shuffles and per step dropout masks. */
export function seedOf(...parts: number[]): number {
  let h = 2166136261;
  for (const p of parts) {
    h ^= p >>> 0;
    h = Math.imul(h, 16777619) >>> 0;
    h ^= h >>> 13;
  }
  return h >>> 0;
}

/** 0..n-1 in a seeded random order. */
export function shuffledOrder(n: number, seed: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const random = createRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** Rows `rows[start..end)` of `samples` as a batch. */
export function takeBatch(
  samples: Samples,
  rows: ArrayLike<number>,
  start: number,
  end: number,
): { x: tf.Tensor; y: tf.Tensor1D } {
  const per = samples.shape.reduce((a, b) => a * b, 1);
  const n = end - start;
  const x = new Float32Array(n * per);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[start + i]!;
    x.set(samples.x.subarray(r * per, (r + 1) * per), i * per);
    y[i] = samples.y[r]!;
  }
  return { x: tf.tensor(x, [n, ...samples.shape]), y: tf.tensor1d(y, 'int32') };
}

/** Loss (label-smoothed, unweighted) and accuracy of `model` on `samples`, in batches, inference mode. */
export function evaluateSamples(
  model: Trainable,
  samples: Samples,
  smoothing: number,
  batchSize = 256,
): { loss: number; acc: number } {
  const n = samples.y.length;
  if (n === 0) return { loss: Number.NaN, acc: Number.NaN };
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const idx = new Uint32Array(end - start).map((_, i) => start + i);
    const { x, y } = takeBatch(samples, idx, 0, end - start);
    const [l, c] = tf.tidy(() => {
      const logits = model.logits(x);
      return [
        smoothedCrossEntropy(logits, y, smoothing).mul(end - start),
        tf.equal(tf.argMax(logits, -1).toInt(), y).sum(),
      ];
    });
    lossSum += l!.dataSync()[0] ?? 0;
    correct += c!.dataSync()[0] ?? 0;
    tf.dispose([x, y, l!, c!]);
  }
  return { loss: lossSum / n, acc: correct / n };
}
