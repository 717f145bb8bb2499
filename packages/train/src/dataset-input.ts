import { type DatasetOutput, type Label, UsageError } from '@plantid/core';

export type TrainingRecord = DatasetOutput['records'][number] & { labelIndex: number };

/** The train and val records of the dataset output with their model output index. */
export interface TrainingData {
  train: TrainingRecord[];
  val: TrainingRecord[];
  labels: Label[];
  classWeights: Record<string, number>;
  /** sha256 of manifest.jsonl: the dataset's identity in train.json. */
  hash: string;
}

/** Picks the training and validation records; every label must be in labels.json. */
export function trainingData(dataset: DatasetOutput): TrainingData {
  const indexOf = new Map(dataset.labels.map((l) => [l.id, l.index]));
  const pick = (split: 'train' | 'val') =>
    dataset.records
      .filter((r) => r.split === split)
      .map((r) => {
        const labelIndex = indexOf.get(r.labelId);
        if (labelIndex === undefined)
          throw new UsageError(`label '${r.labelId}' of ${r.path} is not in labels.json`, {
            where: dataset.manifestPath,
          });
        return { ...r, labelIndex };
      });
  return {
    train: pick('train'),
    val: pick('val'),
    labels: dataset.labels,
    classWeights: dataset.classWeights,
    hash: dataset.hash,
  };
}

/** Refuses splits too small to train on: every class needs a training image, and there must be validation images. */
export function checkSplitSizes(data: TrainingData): void {
  const perClass = new Map<number, number>();
  for (const r of data.train) perClass.set(r.labelIndex, (perClass.get(r.labelIndex) ?? 0) + 1);
  const missing = data.labels.filter((l) => !perClass.get(l.index));
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
  if (data.val.length === 0) {
    throw new UsageError('too few images: the validation split is empty', {
      where: 'data.split.val',
      hint: 'add photos or raise data.split.val',
    });
  }
  if (data.labels.length < 2)
    throw new UsageError('need at least 2 classes to train a classifier', { where: 'data' });
}
