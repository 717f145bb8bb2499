import { type DatasetOutput, type Label, type TrainOutput, UsageError } from '@plantid/core';

/** What the evaluate stage reads: the dataset and train outputs, parsed against their contracts. */
export interface EvaluateInputs {
  dataset: DatasetOutput;
  train: TrainOutput;
}

export type EvalItem = DatasetOutput['records'][number] & { labelIndex: number };

/** Records of one split with their model output index; a label the model was not trained on is an error. */
export function itemsOf(dataset: DatasetOutput, split: 'val' | 'test', labels: readonly Label[]): EvalItem[] {
  const indexOf = new Map(labels.map((l) => [l.id, l.index]));
  return dataset.records
    .filter((r) => r.split === split)
    .map((r) => {
      const labelIndex = indexOf.get(r.labelId);
      if (labelIndex === undefined) {
        throw new UsageError(`label '${r.labelId}' of ${r.path} is not one the model was trained on`, {
          where: dataset.manifestPath,
          hint: 'run the train stage again on this dataset',
        });
      }
      return { ...r, labelIndex };
    });
}
