import { z } from 'zod';
import { positiveInt } from './common.js';

export const exportSchema = z
  .strictObject({
    formats: z.array(z.enum(['onnx', 'tfjs'])).default(['onnx', 'tfjs']),
    quantize: z.array(z.enum(['fp16', 'int8'])).default(['fp16', 'int8']),
    parity: z.strictObject({ samples: positiveInt.default(64) }).prefault({}),
    registry: z.string().default('models').describe('Local registry folder (models/<name>/<version>/).'),
  })
  .prefault({});
