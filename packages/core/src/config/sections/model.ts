import { z } from 'zod';
import { fraction } from './common.js';

export const modelSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/i, 'use letters, digits, dot, dash, underscore')
    .default('plant')
    .describe('Model name in bundles and the registry.'),
  backbone: z.string().default('mobilenet_v2').describe('Backbone family, used in artefact names.'),
  weights: z.string().min(1).describe('tfjs layers model.json: a local path or an http(s) URL.'),
  license: z
    .string()
    .optional()
    .describe(
      'Licence of the pretrained backbone weights (e.g. Apache-2.0): recorded in train.json and the bundle, shown on the model card.',
    ),
  source: z
    .string()
    .optional()
    .describe(
      'Where the backbone weights come from (e.g. repository@commit), for train.json and the model card; default: weights.',
    ),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional()
    .describe('Expected sha256 of model.json when weights is a URL.'),
  resizeInput: z
    .boolean()
    .default(true)
    .describe(
      'Run a fully convolutional backbone at preprocess.size when its input layer was saved for another size (same weights; prefer multiples of 32); false: the sizes must agree.',
    ),
  featureLayer: z
    .string()
    .default('auto')
    .describe(
      'Layer to cut the backbone at; auto = the last layer whose output is larger than 1×1, before global pooling, flatten and a classifier head (lists the candidates when unsure).',
    ),
  pooling: z
    .enum(['avg', 'max', 'avgmax'])
    .default('avg')
    .describe(
      'Global pooling of the feature map: average, max, or both concatenated (fastai concat pooling).',
    ),
  head: z
    .strictObject({
      dropout: fraction.default(0.2),
      hidden: z
        .number()
        .int()
        .nonnegative()
        .default(0)
        .describe('Units of an optional hidden dense layer; 0 = none.'),
    })
    .prefault({}),
});
