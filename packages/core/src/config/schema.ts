import { z } from 'zod';
import { augmentSchema } from './sections/augment.js';
import { dataSchema } from './sections/data.js';
import { engineSchema } from './sections/engine.js';
import { evaluateSchema } from './sections/evaluate.js';
import { exportSchema } from './sections/export.js';
import { modelSchema } from './sections/model.js';
import { preprocessSchema } from './sections/preprocess.js';
import { serveSchema } from './sections/serve.js';
import { storageSchema } from './sections/storage.js';
import { trackingSchema } from './sections/tracking.js';
import { trainSchema } from './sections/train.js';

/** The one source of truth for config.yaml. Each section lives in ./sections/<name>.ts. */
export const configSchema = z.strictObject({
  seed: z.number().int().nonnegative().default(42),
  stages: z
    .array(z.string())
    .optional()
    .describe('Stages to run, in order; default: every registered stage.'),
  runsDir: z
    .string()
    .default('runs')
    .describe('Where runs/<run-id>/ folders go, relative to the config file, or s3://bucket/prefix.'),
  data: dataSchema,
  preprocess: preprocessSchema,
  augment: augmentSchema,
  model: modelSchema,
  train: trainSchema,
  evaluate: evaluateSchema,
  export: exportSchema,
  engine: engineSchema,
  tracking: trackingSchema,
  serve: serveSchema,
  storage: storageSchema,
});

export type PlantidConfig = z.infer<typeof configSchema>;
export type PlantidConfigInput = z.input<typeof configSchema>;
