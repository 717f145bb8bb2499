import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorLine, type Logger, type PlantidConfig, type Progress, UsageError } from '@plantid/core';
import { createEngine, type Engine, layersModelToOnnx, loadLayersModel } from '@plantid/engine';
import { type PreprocessSpec, preprocessBatches } from '@plantid/preprocess';

/**
 * The trained model (train stage's `model/model.json`) behind the fast engine: converted to ONNX
 * in memory and run in ONNX Runtime; tfjs when `engine.kind` is tfjs or the converter refuses the model.
 */
export async function openTrainedModel(
  trainDir: string,
  engineConfig: PlantidConfig['engine'],
  log: Logger,
): Promise<Engine> {
  const modelJson = join(trainDir, 'model', 'model.json');
  const threads = engineConfig.threads || undefined;
  if (engineConfig.kind === 'onnx') {
    let onnx: Uint8Array | undefined;
    try {
      const model = await loadLayersModel(modelJson);
      try {
        onnx = layersModelToOnnx(model, { name: 'evaluate' });
      } finally {
        model.dispose();
      }
    } catch (error) {
      log.warn(
        `ONNX conversion of ${modelJson} failed (${errorLine(error)}); evaluating with tfjs instead (slower)`,
      );
    }
    if (onnx) return createEngine({ kind: 'onnx', model: onnx, ...(threads ? { threads } : {}) });
  }
  return createEngine({ kind: 'tfjs', model: modelJson });
}

export interface ScoredItem {
  absPath: string;
  labelIndex: number;
}

export interface Scored<T> {
  items: T[];
  /** items.length × classes softmax probabilities. */
  probs: Float32Array;
  skipped: { item: T; reason: string }[];
}

/** Preprocesses and predicts every item (undecodable images are skipped and reported). */
export async function predictAll<T extends ScoredItem>(
  engine: Engine,
  items: readonly T[],
  spec: PreprocessSpec,
  options: { progress: Progress; signal: AbortSignal; batchSize?: number },
): Promise<Scored<T>> {
  const [h, w] = engine.inputShape;
  if (h !== spec.size || w !== spec.size) {
    throw new UsageError(`the model takes ${h}×${w} images but preprocess.json says ${spec.size}`, {
      where: 'train/preprocess.json',
      hint: 'run the train stage again',
    });
  }
  const classes = engine.outputSize;
  const outItems: T[] = [];
  const chunks: Float32Array[] = [];
  const skipped: Scored<T>['skipped'] = [];
  const batches = preprocessBatches(items, spec, {
    batchSize: options.batchSize ?? 32,
    read: (item) => readFile(item.absPath),
    onError: 'skip',
  });
  for await (const batch of batches) {
    if (options.signal.aborted) throw options.signal.reason ?? new Error('aborted');
    for (const s of batch.skipped) skipped.push({ item: s.item, reason: s.error.message });
    if (batch.count > 0) {
      chunks.push(await engine.predict(batch.tensor, batch.count));
      outItems.push(...batch.items);
    }
    options.progress.tick(batch.count + batch.skipped.length);
  }
  const probs = new Float32Array(outItems.length * classes);
  let offset = 0;
  for (const c of chunks) {
    probs.set(c, offset);
    offset += c.length;
  }
  return { items: outItems, probs, skipped };
}
