import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PlantidConfig, UsageError } from '@plantid/core';
import { recordFile } from '@plantid/dataset';
import { type PreprocessSpec, parseSpec } from '@plantid/preprocess';
import type { Label } from './split-metrics.js';

/** The manifest fields evaluate reads (DESIGN.md manifest record). */
export interface EvalRecord {
  id: string;
  path: string;
  labelId: string;
  split: 'train' | 'val' | 'test' | null;
  phash?: string | null;
  source?: string;
  /** Absolute path when the dataset stage ran. */
  file?: string;
}

export interface EvalItem extends EvalRecord {
  absPath: string;
  labelIndex: number;
}

async function readJson<T>(path: string, hint: string): Promise<T> {
  const text = await readFile(path, 'utf8').catch(() => {
    throw new UsageError('missing', { where: path, hint });
  });
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UsageError('not valid JSON', { where: path, hint });
  }
}

export async function readManifestRecords(datasetDir: string): Promise<EvalRecord[]> {
  const path = join(datasetDir, 'manifest.jsonl');
  const text = await readFile(path, 'utf8').catch(() => {
    throw new UsageError('dataset manifest missing', {
      where: path,
      hint: 'run the dataset stage first (pipeline run)',
    });
  });
  const records: EvalRecord[] = [];
  for (const [n, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    try {
      records.push(JSON.parse(line) as EvalRecord);
    } catch {
      throw new UsageError(`line ${n + 1} is not JSON`, { where: path, hint: 'run the dataset stage again' });
    }
  }
  return records;
}

/** The model's contract from the train stage: labels.json (output order) and preprocess.json. */
export async function readTrainOutput(trainDir: string): Promise<{ labels: Label[]; spec: PreprocessSpec }> {
  const hint = 'run the train stage again (pipeline run --from train)';
  const labels = await readJson<Label[]>(join(trainDir, 'labels.json'), hint);
  if (!Array.isArray(labels) || labels.some((l, i) => l.index !== i || typeof l.id !== 'string')) {
    throw new UsageError('labels.json must list { index, id, name } in index order', {
      where: join(trainDir, 'labels.json'),
      hint,
    });
  }
  const specPath = join(trainDir, 'preprocess.json');
  return { labels, spec: parseSpec(await readJson<unknown>(specPath, hint), specPath) };
}

/** Records of one split with absolute paths and model output indices. */
export function itemsOf(
  records: readonly EvalRecord[],
  split: 'val' | 'test',
  labels: readonly Label[],
  config: PlantidConfig,
  configDir: string,
  manifestPath: string,
): EvalItem[] {
  const indexOf = new Map(labels.map((l) => [l.id, l.index]));
  return records
    .filter((r) => r.split === split)
    .map((r) => {
      const labelIndex = indexOf.get(r.labelId);
      if (labelIndex === undefined) {
        throw new UsageError(`label '${r.labelId}' of ${r.path} is not one the model was trained on`, {
          where: manifestPath,
          hint: 'run the train stage again on this dataset',
        });
      }
      return { ...r, absPath: recordFile(r, config.data, configDir), labelIndex };
    });
}
