import { readFile } from 'node:fs/promises';
import {
  type Logger,
  type PlantidConfig,
  type PreprocessSpec,
  type Progress,
  type TrainOutput,
  UsageError,
} from '@plantid/core';
import { createEngine, type Engine } from '@plantid/engine';
import { averageViews, preprocessBatches, preprocessView, specViews } from '@plantid/preprocess';

/**
 * The trained model behind the fast engine: the train stage's `model.onnx` in ONNX Runtime; its
 * tfjs `model/model.json` when `engine.kind` is tfjs or train could not convert the model.
 */
export async function openTrainedModel(
  train: TrainOutput,
  engineConfig: PlantidConfig['engine'],
  log: Logger,
): Promise<Engine> {
  const threads = engineConfig.threads || undefined;
  if (engineConfig.kind === 'onnx') {
    if (train.modelOnnx)
      return createEngine({ kind: 'onnx', model: train.modelOnnx, ...(threads ? { threads } : {}) });
    log.warn(
      'train wrote no model.onnx (the converter refused the model); evaluating with tfjs instead (slower)',
    );
  }
  return createEngine({ kind: 'tfjs', model: train.modelJson });
}

export interface ScoredItem {
  file: string;
  labelIndex: number;
}

export interface Scored<T> {
  items: T[];
  /** items.length × classes softmax probabilities. */
  probs: Float32Array;
  skipped: { item: T; reason: string }[];
}

/**
 * Preprocesses and predicts every item (undecodable images are skipped and reported). With the
 * spec's test-time views, an item's probabilities are the mean over its views, as serving does.
 */
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
  const views = specViews(spec);
  // One row per (item, view); an undecodable item loses all its views, so rows stay in groups.
  const rows = items.flatMap((item) => views.map((view, v) => ({ item, view, v })));
  const batches = preprocessBatches(rows, spec, {
    batchSize: options.batchSize ?? 32,
    read: (row) => readFile(row.item.file),
    transform: (bytes, row) => preprocessView(bytes, spec, row.view, { where: row.item.file }),
    onError: 'skip',
  });
  for await (const batch of batches) {
    if (options.signal.aborted) throw options.signal.reason ?? new Error('aborted');
    for (const s of batch.skipped)
      if (s.item.v === 0) skipped.push({ item: s.item.item, reason: s.error.message });
    if (batch.count > 0) {
      chunks.push(await engine.predict(batch.tensor, batch.count));
      for (const row of batch.items) if (row.v === 0) outItems.push(row.item);
    }
    const last = views.length - 1;
    options.progress.tick(
      batch.items.filter((r) => r.v === last).length + batch.skipped.filter((r) => r.item.v === last).length,
    );
  }
  const all = new Float32Array(outItems.length * views.length * classes);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.length;
  }
  return { items: outItems, probs: averageViews(all, views.length, classes), skipped };
}
