import { z } from 'zod';
import { positiveInt } from './common.js';

export const exportSchema = z
  .strictObject({
    formats: z
      .array(z.enum(['onnx', 'tfjs']))
      .min(1, 'list at least one of onnx, tfjs')
      .default(['onnx', 'tfjs'])
      .describe(
        'Model formats in the bundle; onnx is what serving runs fast, tfjs is the browser/fallback copy.',
      ),
    quantize: z
      .array(z.enum(['fp16', 'int8']))
      .default(['fp16', 'int8'])
      .describe('Extra ONNX variants: fp16 weights (half size) and int8 (quarter size).'),
    parity: z
      .strictObject({
        // 64 cannot measure a 99 % agreement rule: one flip is 98.4 %. 512 costs ~20 s on 2 cores.
        samples: positiveInt
          .default(512)
          .describe(
            'Real test images on which tfjs and ONNX outputs are compared (fewer when the test split is smaller).',
          ),
      })
      .prefault({}),
    registry: z
      .string()
      .min(1)
      .default('models')
      .describe('Local registry folder (models/<name>/<version>/), relative to the config file.'),
    card: z
      .strictObject({
        intendedUse: z
          .string()
          .optional()
          .describe('Model card "intended use" paragraph; a generic one is written when unset.'),
        limitations: z.array(z.string()).default([]).describe('Extra known limits listed on the model card.'),
        weightsLicense: z
          .string()
          .optional()
          .describe('Overrides model.license on the model card (configs from before model.license).'),
      })
      .prefault({}),
  })
  .prefault({});
