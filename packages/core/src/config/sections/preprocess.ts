import { z } from 'zod';
import { positiveInt, positiveNumber } from './common.js';

export const normalizeSchema = z.union([
  z.strictObject({ scale: positiveNumber.describe('x / scale + offset'), offset: z.number().default(0) }),
  z.strictObject({
    mean: z.tuple([z.number(), z.number(), z.number()]).describe('Per-channel mean in 0..255 units.'),
    std: z
      .tuple([positiveNumber, positiveNumber, positiveNumber])
      .describe('Per-channel std in 0..255 units.'),
  }),
]);

export const preprocessSchema = z
  .strictObject({
    size: positiveInt.default(224).describe('Square input size in pixels.'),
    resize: z.enum(['center-crop', 'letterbox', 'stretch']).default('center-crop'),
    normalize: normalizeSchema.default({ scale: 127.5, offset: -1 }),
    tta: z
      .array(
        z.strictObject({
          crop: z
            .number()
            .gt(0)
            .max(1)
            .default(1)
            .describe('Side of the centre region kept, as a fraction of the photo (1 = all of it).'),
          flip: z.boolean().default(false).describe('Mirror the view left-right.'),
        }),
      )
      .default([])
      .describe(
        'Test-time views: evaluation and serving average the probabilities of these views of each photo ({ crop: 1 } is the clean input); [] = the clean input only. Carried in the bundle (preprocess.json).',
      ),
  })
  .prefault({});
