import { z } from 'zod';
import { fraction, positiveInt } from './common.js';

export const evaluateSchema = z
  .strictObject({
    topK: z.array(positiveInt).min(1).default([1, 3]),
    gate: z
      .strictObject({
        top1: fraction.optional().describe('Minimum test top-1 accuracy.'),
        minRecall: fraction.optional().describe('Minimum recall of every class.'),
        maxEce: fraction.optional().describe('Maximum expected calibration error after temperature scaling.'),
      })
      .prefault({}),
  })
  .prefault({});
