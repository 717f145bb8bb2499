import type { PreprocessSpec } from '@plantid/core';
import type { Engine, EngineOutput } from '@plantid/engine';
import { normalizeInto } from '@plantid/preprocess/normalize';
import type { ModelInput } from './batcher.js';

/**
 * What the batcher runs batches on: a pool of inference workers, or one engine on this thread.
 * Takes uint8 RGB (normalised per the bundle's spec by the runner) or float32 tensors already
 * normalised.
 */
export interface ModelRunner {
  readonly inputShape: readonly number[];
  readonly outputSize: number;
  /** What `run` returns per image, side by side (the engine's named outputs). */
  readonly outputs: readonly EngineOutput[];
  readonly description: string;
  /** Batches it can run at once (worker count). */
  readonly concurrency: number;
  run(batch: ModelInput, n: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** A runner over one engine on this thread: uint8 batches are normalised here, then predicted. */
export function inlineRunner(engine: Engine, spec: PreprocessSpec, concurrency = 1): ModelRunner {
  const perImage = spec.size * spec.size * 3;
  return {
    inputShape: engine.inputShape,
    outputSize: engine.outputSize,
    outputs: engine.outputs,
    description: engine.description,
    concurrency,
    run(batch, n) {
      if (batch instanceof Float32Array) return engine.predict(batch, n);
      const floats = new Float32Array(batch.length);
      for (let i = 0; i < n; i++)
        normalizeInto(batch.subarray(i * perImage, (i + 1) * perImage), spec, floats, i * perImage);
      return engine.predict(floats, n);
    },
    dispose: () => engine.dispose(),
  };
}
