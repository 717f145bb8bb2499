import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  applyTemperature,
  MODEL_OUTPUTS,
  OPEN_SET_FILE,
  type OpenSetMetrics,
  type PlantidConfig,
  readFloat16File,
  type TrainOutput,
  writeFileAtomic,
  writeOpenSetParams,
} from '@plantid/core';
import type { Scored, ScoredItem } from '../inference.js';
import { fitOpenSet, type SetOutputs } from './fit.js';

/** What the open-set fit reads of the predictions: val, test and the two halves of data.negatives. */
export interface OpenSetPredictions<T extends ScoredItem> {
  val: Scored<T>;
  test: Scored<T>;
  negativesVal: Scored<ScoredItem & { group: string; path: string }> | null;
  negativesTest: Scored<ScoredItem & { group: string; path: string }> | null;
}

const HINT = 'run the train stage again (pipeline run --from train)';

/**
 * Fits the open-set score and the status thresholds on the predictions, writes openset.json and
 * the files it names (the bank, or Mahalanobis' factor) to `outDir`, and returns the metrics part.
 */
export async function fitAndWriteOpenSet<T extends ScoredItem>(
  predictions: OpenSetPredictions<T>,
  options: {
    train: TrainOutput;
    temperature: number;
    config: PlantidConfig['evaluate']['openSet'];
    seed: number;
    outDir: string;
  },
): Promise<OpenSetMetrics> {
  const { train, temperature } = options;
  const classes = train.labels.length;
  const outputsOf = (scored: Scored<ScoredItem & { group?: string }>, known: boolean): SetOutputs => ({
    probs: applyTemperature(scored.probs, classes, temperature),
    embedding: scored.outputs[MODEL_OUTPUTS.embedding] ?? null,
    logits: scored.outputs[MODEL_OUTPUTS.logits] ?? null,
    actual: known ? Int32Array.from(scored.items, (i) => i.labelIndex) : null,
    groups: known ? null : scored.items.map((i) => i.group ?? ''),
  });
  let bank: Parameters<typeof fitOpenSet>[0]['bank'] = null;
  if (train.bank) {
    const { rows, dim, labels } = train.bank.meta;
    bank = {
      rows: await readFloat16File(train.bank.file, rows * dim, HINT),
      dim,
      labels,
      bytes: new Uint8Array(await readFile(train.bank.file)),
    };
  }
  const fit = fitOpenSet({
    classes,
    temperature,
    val: outputsOf(predictions.val, true),
    test: outputsOf(predictions.test, true),
    negativesVal: predictions.negativesVal ? outputsOf(predictions.negativesVal, false) : null,
    negativesTest: predictions.negativesTest ? outputsOf(predictions.negativesTest, false) : null,
    bank,
    config: options.config,
    seed: options.seed,
  });
  for (const file of fit.files) await writeFileAtomic(join(options.outDir, file.name), file.bytes);
  await writeOpenSetParams(join(options.outDir, OPEN_SET_FILE), fit.params);
  return fit.metrics;
}
