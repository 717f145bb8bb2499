import { z } from 'zod';
import { fraction, nonNegativeInt, positiveInt, positiveNumber } from './common.js';

const phase = (epochs: number, lr: number, batchSize: number) => ({
  epochs: nonNegativeInt.default(epochs),
  lr: positiveNumber.default(lr),
  batchSize: positiveInt.default(batchSize),
});

export const trainSchema = z
  .strictObject({
    head: z.strictObject(phase(40, 1e-3, 64)).prefault({}),
    finetune: z
      .strictObject({ ...phase(0, 1e-5, 32), blocks: nonNegativeInt.default(2).describe('Top backbone blocks to unfreeze.') })
      .prefault({}),
    earlyStopping: z.strictObject({ patience: positiveInt.default(5) }).prefault({}),
    reduceLrOnPlateau: z.strictObject({ factor: fraction.default(0.5), patience: positiveInt.default(2) }).prefault({}),
    classWeights: z.enum(['balanced', 'none']).default('balanced'),
    labelSmoothing: fraction.default(0.1),
  })
  .prefault({});
