import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PlantidConfig, sha256File, UsageError } from '@plantid/core';
import { recordFile } from '@plantid/dataset';

/** The fields of a dataset manifest record train reads (DESIGN.md manifest record). */
export interface TrainRecord {
  id: string;
  /** Relative to its source's root. */
  path: string;
  /** Absolute path when the dataset stage ran (what train opens when present). */
  file?: string;
  labelId: string;
  split: 'train' | 'val' | 'test' | null;
  source?: string;
}

export interface LabelEntry {
  index: number;
  id: string;
  name: string;
}

export interface DatasetInput {
  records: (TrainRecord & { absPath: string; labelIndex: number })[];
  labels: LabelEntry[];
  classWeights: Record<string, number>;
  /** sha256 of manifest.jsonl: the dataset's identity in train.json. */
  hash: string;
}

async function readJson<T>(path: string): Promise<T> {
  const text = await readFile(path, 'utf8').catch(() => {
    throw new UsageError(`dataset output missing: ${path}`, {
      hint: 'run the dataset stage first (pipeline run)',
    });
  });
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UsageError(`not valid JSON: ${path}`, { hint: 'run the dataset stage again' });
  }
}

/** Reads manifest.jsonl, labels.json and class_weights.json from the dataset stage's output. */
export async function readDatasetInput(
  dir: string,
  config: PlantidConfig,
  configDir: string,
): Promise<DatasetInput> {
  const manifestPath = join(dir, 'manifest.jsonl');
  const text = await readFile(manifestPath, 'utf8').catch(() => {
    throw new UsageError(`dataset output missing: ${manifestPath}`, {
      hint: 'run the dataset stage first (pipeline run)',
    });
  });
  const labels = await readJson<LabelEntry[]>(join(dir, 'labels.json'));
  const classWeights = await readJson<Record<string, number>>(join(dir, 'class_weights.json'));
  const indexOf = new Map(labels.map((l) => [l.id, l.index]));
  const records: DatasetInput['records'] = [];
  for (const [n, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    let r: TrainRecord;
    try {
      r = JSON.parse(line) as TrainRecord;
    } catch {
      throw new UsageError(`line ${n + 1} is not JSON`, {
        where: manifestPath,
        hint: 'run the dataset stage again',
      });
    }
    if (r.split !== 'train' && r.split !== 'val') continue;
    const labelIndex = indexOf.get(r.labelId);
    if (labelIndex === undefined)
      throw new UsageError(`label '${r.labelId}' of ${r.path} is not in labels.json`, {
        where: manifestPath,
      });
    records.push({ ...r, absPath: recordFile(r, config.data, configDir), labelIndex });
  }
  return { records, labels, classWeights, hash: await sha256File(manifestPath) };
}

/** Refuses splits too small to train on: every class needs a training image, and there must be validation images. */
export function checkSplitSizes(input: DatasetInput): void {
  const perClass = new Map<number, number>();
  let val = 0;
  for (const r of input.records) {
    if (r.split === 'train') perClass.set(r.labelIndex, (perClass.get(r.labelIndex) ?? 0) + 1);
    else val++;
  }
  const missing = input.labels.filter((l) => !perClass.get(l.index));
  if (missing.length > 0) {
    throw new UsageError(
      `too few images: ${missing.length} class(es) have no training image (${missing
        .slice(0, 5)
        .map((l) => l.name)
        .join(', ')})`,
      {
        where: 'data',
        hint: 'add photos to those classes or remove them; each needs a few for train, val and test',
      },
    );
  }
  if (val === 0) {
    throw new UsageError('too few images: the validation split is empty', {
      where: 'data.split.val',
      hint: 'add photos or raise data.split.val',
    });
  }
  if (input.labels.length < 2)
    throw new UsageError('need at least 2 classes to train a classifier', { where: 'data' });
}
