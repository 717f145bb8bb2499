import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@plantid/core';
import { loadLayersModel, selectTfjsBackend } from '@plantid/engine';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildFeatureExtractor, finetuneModel, Head, splitForFinetune, trainPhase } from '../src/index.js';
import { backboneJson } from './helpers.js';

describe('phase 2 fine-tuning', () => {
  // tfjs-cpu runs these convolution gradients slowly (the reason phase 2 needs a native backend): keep it to two steps.
  it('trains only the top block; frozen weights and every BatchNorm statistic stay bit-identical', async () => {
    await selectTfjsBackend('gradients', { env: { ...process.env, PLANTID_BACKEND: 'cpu' } });
    const backbone = await loadLayersModel(backboneJson);
    const ex = buildFeatureExtractor(backbone, 'auto');
    const split = splitForFinetune(ex, 2);
    const top = new Set(split.topLayers);
    const all = ex.model.layers.flatMap((layer) =>
      layer.weights.map((w) => ({ layer, name: w.name, value: w.read() })),
    );
    const before = all.map((w) => Buffer.from((w.value.dataSync() as Float32Array).slice().buffer));
    const n = 8;
    const dim = 7 * 7 * 56; // block_15_add: the top is block_16 + Conv_1
    const x = Float32Array.from({ length: n * dim }, (_, i) => Math.abs(Math.sin(i)) * 3);
    const y = Int32Array.from({ length: n }, (_, i) => i % 3);
    const head = new Head(ex.dim, { dropout: 0.2, hidden: 0, classes: 3, seed: 1 });
    await trainPhase(
      finetuneModel(split, head),
      { x, shape: [7, 7, 56], y },
      { x: x.subarray(0, 2 * dim), shape: [7, 7, 56], y: y.subarray(0, 2) },
      {
        phase: 'finetune',
        epochs: 2,
        batchSize: 8,
        lr: 1e-2,
        earlyStoppingPatience: 5,
        plateau: { factor: 0.5, patience: 5 },
        labelSmoothing: 0.1,
        seed: 1,
        checkpointDir: await mkdtemp(join(tmpdir(), 'ft-')),
        epochOffset: 0,
        log: createLogger({ level: 'warn' }),
      },
    );
    let changedTop = 0;
    for (const [i, w] of all.entries()) {
      const data = w.value.dataSync() as Float32Array;
      const after = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      const same = after.equals(before[i]!);
      const frozen = !top.has(w.layer) || w.layer.getClassName() === 'BatchNormalization';
      if (frozen) expect(same, `${w.name} must not change`).toBe(true);
      else if (!same) changedTop++;
    }
    // block_16 expand/depthwise/project and Conv_1 kernels all moved.
    expect(changedTop).toBeGreaterThanOrEqual(4);
    const bnStats = all.filter((w) => /moving_(mean|variance)/.test(w.name));
    expect(bnStats.length).toBeGreaterThan(100);
    expect(tf.getBackend()).toBe('cpu');
  });
});
