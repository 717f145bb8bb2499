import { readFile } from 'node:fs/promises';
import {
  type Logger,
  type PlantidConfig,
  type PreprocessSpec,
  type Progress,
  type TrainOutput,
  UsageError,
} from '@plantid/core';
import { createEngine, type Engine, splitOutputs } from '@plantid/engine';
import { averageViews, preprocessBatches, preprocessView, specViews } from '@plantid/preprocess';

/**
 * The trained model behind the fast engine: the train stage's `model.onnx` in ONNX Runtime; its
 * tfjs `model/model.json` when `engine.kind` is tfjs or train could not convert the model.
 */
export async function openTrainedModel(
  train: TrainOutput,
  engineConfig: PlantidConfig['engine'],
  log: Logger,
  extraOutputs: readonly string[] = [],
): Promise<Engine> {
  const threads = engineConfig.threads || undefined;
  if (engineConfig.kind === 'onnx') {
    if (train.modelOnnx) {
      const options = { kind: 'onnx' as const, model: train.modelOnnx, ...(threads ? { threads } : {}) };
      const engine = await createEngine(options);
      const wanted = extraOutputs.filter((name) => engine.available.some((o) => o.name === name));
      if (wanted.length === 0) return engine;
      await engine.dispose();
      // The first output stays the probabilities; the open-set scores read the others.
      return createEngine({ ...options, outputs: [engine.available[0]!.name, ...wanted] });
    }
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
  /** Every output the engine returned (the probabilities first), items.length rows each. */
  outputs: Record<string, Float32Array>;
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
  const classes = engine.outputs[0]!.size;
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
  const all = new Float32Array(outItems.length * views.length * engine.outputSize);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.length;
  }
  // Every output (probabilities, embedding, logits) is the mean over the photo's views, as serving does.
  const perView = splitOutputs(engine.outputs, all, outItems.length * views.length);
  const outputs = Object.fromEntries(
    engine.outputs.map((o) => [o.name, averageViews(perView[o.name]!, views.length, o.size)]),
  );
  const probs = outputs[engine.outputs[0]!.name]!;
  if (probs.length !== outItems.length * classes)
    throw new Error('engine returned an unexpected output size');
  return { items: outItems, probs, outputs, skipped };
}
