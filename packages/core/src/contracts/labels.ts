import { z } from 'zod';
import { readJsonContract, writeJsonContract } from './contract-error.js';

export const LABELS_FILE = 'labels.json';

/**
 * One class: its position in the model's output vector, stable id (slug) and name (the folder or
 * manifest label as the user wrote it), plus the taxonomy row of `data.taxonomy` when given.
 * Unknown extra keys are kept.
 */
export const labelSchema = z.looseObject({
  index: z.number().int().nonnegative(),
  id: z.string().min(1),
  name: z.string().min(1),
  scientificName: z.string().min(1).optional(),
  /** Names people use, by language code (`en`, `vi`, `tl`, …), most common first. */
  commonNames: z.record(z.string(), z.array(z.string().min(1))).optional(),
  genus: z.string().min(1).optional(),
  family: z.string().min(1).optional(),
  /** Rare or protected: its whereabouts are never stored or logged precisely. */
  sensitive: z.boolean().optional(),
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

/**
 * What people should read for a class without a taxonomy: the folder name without numbering,
 * trailing abbreviations and underscores (`10Coleus scutellarioides(CS)` → `Coleus scutellarioides`,
 * `Alcea_rosea` → `Alcea rosea`). The name itself when nothing would be left.
 */
export function cleanClassName(name: string): string {
  const cleaned = name
    .replace(/[_]+/g, ' ')
    .replace(/^\s*\d+[\s.)_-]*/, '')
    .replace(/\s*\([^()]*\)\s*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  return cleaned || name;
}

/** The display name of a label: its common name in `lang` (else English), else its scientific name, else the cleaned folder name. */
export function displayName(label: Label, lang = 'en'): string {
  return (
    commonName(label, lang) ?? commonName(label, 'en') ?? label.scientificName ?? cleanClassName(label.name)
  );
}

/** The first common name in `lang` (`pt-BR` falls back to `pt`); null without one. */
export function commonName(label: Label, lang = 'en'): string | null {
  const names = label.commonNames;
  if (!names) return null;
  return names[lang]?.[0] ?? names[lang.split('-')[0]!]?.[0] ?? null;
}
