import { UsageError } from '@plantid/core';
import type { Engine, EngineOptions } from './engine.js';
import { createOnnxEngine } from './onnx-engine.js';

/**
 * Creates an inference engine: `onnx` (ONNX Runtime, the fast default) or `tfjs` (fallback,
 * any tfjs backend). Both take NHWC float32 batches and return the same outputs within float tolerance.
 */
export async function createEngine(options: EngineOptions): Promise<Engine> {
  if (options.kind === 'onnx') return createOnnxEngine(options);
  // tfjs is imported only when asked for: ONNX-only processes never load it.
  if (options.kind === 'tfjs') return (await import('./tfjs-engine.js')).createTfjsEngine(options);
  throw new UsageError(`engine kind '${String(options.kind)}' is unknown`, {
    where: 'engine.kind',
    hint: "use 'onnx' or 'tfjs'",
  });
}
