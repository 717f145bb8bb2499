import { z } from 'zod';
import { fraction, nonNegativeInt, positiveInt, positiveNumber } from './common.js';

const phase = (epochs: number, lr: number, batchSize: number) => ({
  epochs: nonNegativeInt.default(epochs),
  lr: positiveNumber.default(lr),
  batchSize: positiveInt.default(batchSize),
});

export const trainSchema = z
  .strictObject({
    head: z.strictObject(phase(30, 1e-3, 64)).prefault({}),
    finetune: z
      .strictObject({
        ...phase(5, 1e-4, 64),
        blocks: nonNegativeInt
          .default(1)
          .describe('Top backbone blocks to unfreeze (MobileNet V1/V2 block names); 0 = no fine-tuning.'),
        requireNative: z
          .boolean()
          .default(true)
          .describe(
            'Fine-tune only when tfjs-node(-gpu) is installed: on the wasm/cpu backends it costs more than it adds (see packages/train/README.md).',
          ),
      })
      .prefault({}),
    earlyStopping: z.strictObject({ patience: positiveInt.default(5) }).prefault({}),
    reduceLrOnPlateau: z
      .strictObject({ factor: fraction.default(0.5), patience: positiveInt.default(2) })
      .prefault({}),
    classWeights: z.enum(['balanced', 'none']).default('balanced'),
    labelSmoothing: fraction.default(0.1),
  })
  .prefault({});
