import { z } from 'zod';
import { readJsonContract, writeJsonContract } from './contract-error.js';

export const LABELS_FILE = 'labels.json';

/** One class: its position in the model's output vector, stable id (slug) and display name. Extra keys (taxonomy) are kept. */
export const labelSchema = z.looseObject({
  index: z.number().int().nonnegative(),
  id: z.string().min(1),
  name: z.string().min(1),
});

/** `labels.json` (dataset → train → bundle → serving): index order = model output order. */
export const labelsSchema = z
  .array(labelSchema)
  .min(1, 'expected at least one label')
  .superRefine((labels, ctx) => {
    const wrong = labels.findIndex((l, i) => l.index !== i);
    if (wrong >= 0)
      ctx.addIssue({
        code: 'custom',
        path: [wrong, 'index'],
        message: `expected ${wrong} (labels listed in model output order 0..n-1)`,
      });
  });

export type Label = z.infer<typeof labelSchema>;

export function readLabels(path: string, hint?: string): Promise<Label[]> {
  return readJsonContract(labelsSchema, path, hint);
}

export function writeLabels(path: string, labels: readonly Label[]): Promise<void> {
  return writeJsonContract(labelsSchema, path, [...labels]);
}
