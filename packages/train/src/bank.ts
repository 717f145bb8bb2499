import { join } from 'node:path';
import {
  encodeFloat16,
  l2NormalizeRows,
  OPEN_SET_BANK_FILE,
  OPEN_SET_BANK_META_FILE,
  writeBankMeta,
  writeFileAtomic,
} from '@plantid/core';
import * as tf from '@tensorflow/tfjs';
import type { BackboneSplit } from './backbone/cut.js';
import type { Samples } from './samples.js';

/** Every `(views + 1)`-th row of `samples`: the clean view of each image (gatherViews puts it first). */
export function cleanViews(samples: Samples, views: number): Samples {
  const per = samples.shape.reduce((a, b) => a * b, 1);
  const images = samples.y.length / (views + 1);
  const x = new Float32Array(images * per);
  const y = new Int32Array(images);
  for (let i = 0; i < images; i++) {
    const row = i * (views + 1);
    x.set(samples.x.subarray(row * per, (row + 1) * per), i * per);
    y[i] = samples.y[row]!;
  }
  return { x, shape: samples.shape, y };
}

/** Pooled features of boundary activations through the fine-tuned top blocks (inference mode), in batches. */
export function finetunedFeatures(
  split: BackboneSplit,
  activations: Samples,
  dim: number,
  batch = 64,
): Samples {
  const per = activations.shape.reduce((a, b) => a * b, 1);
  const n = activations.y.length;
  const x = new Float32Array(n * dim);
  for (let start = 0; start < n; start += batch) {
    const count = Math.min(batch, n - start);
    const input = tf.tensor(activations.x.subarray(start * per, (start + count) * per), [
      count,
      ...activations.shape,
    ]);
    const out = split.forward(input);
    x.set(out.dataSync() as Float32Array, start * dim);
    tf.dispose([input, out]);
  }
  return { x, shape: [dim], y: activations.y };
}

/**
 * The open-set bank: the clean-view embeddings of the training photos, L2-normalised, as
 * float16 rows (`openset-bank.f16`) with `openset-bank.json` (shape, label of every row).
 * Evaluate fits the kNN and Mahalanobis scores on it; the bundle carries it for serving.
 */
export async function writeBank(outDir: string, features: Samples, fittedOn: string): Promise<void> {
  const dim = features.shape[0]!;
  const rows = features.y.length;
  await writeFileAtomic(
    join(outDir, OPEN_SET_BANK_FILE),
    encodeFloat16(l2NormalizeRows(features.x.slice(), dim)),
  );
  await writeBankMeta(join(outDir, OPEN_SET_BANK_META_FILE), {
    version: 1,
    file: OPEN_SET_BANK_FILE,
    rows,
    dim,
    dtype: 'float16',
    normalize: 'l2',
    fittedOn,
    labels: Array.from(features.y),
  });
}
