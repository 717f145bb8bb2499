import { z } from 'zod';
import { nonNegativeInt } from './common.js';

export const engineSchema = z
  .strictObject({
    kind: z
      .enum(['onnx', 'tfjs'])
      .default('onnx')
      .describe('Inference engine: ONNX Runtime (fast) or tfjs (fallback).'),
    threads: nonNegativeInt
      .default(0)
      .describe(
        'Intra-op threads per ONNX Runtime session; 0 = the usable CPUs (cgroup quota and affinity) divided by the inference workers.',
      ),
  })
  .prefault({});
