import type { PlantidConfig } from '@plantid/core';
import { makeConfig } from '../test/helpers.js';

/** The example pipeline's train settings (configs/example.yaml), which the bench measures. */
export function benchConfig(): PlantidConfig {
  return makeConfig({
    augment: { views: Number(process.env.BENCH_VIEWS ?? 2) },
    model: {
      weights: makeConfig().model.weights,
      backbone: 'mobilenet_v2_0.35',
      pooling: (process.env.BENCH_POOLING as 'avg' | 'avgmax' | undefined) ?? 'avg',
    },
    train: { head: { epochs: Number(process.env.BENCH_EPOCHS ?? 30), batchSize: 64, lr: 1e-3 } },
  });
}
