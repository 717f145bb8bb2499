import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../atomic.js';
import type { PlantidConfig } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { ContractError, parseContract } from './contract-error.js';
import { feedbackRecordSchema } from './feedback.js';

export const MANIFEST_FILE = 'manifest.jsonl';

export const SPLITS = ['train', 'val', 'test'] as const;
export type Split = (typeof SPLITS)[number];

/** Where a feedback photo came from: the serving side's feedback record, less the photo and location. */
export const feedbackOriginSchema = feedbackRecordSchema.pick({
  id: true,
  time: true,
  predictionId: true,
  model: true,
  predicted: true,
  correct: true,
});
export type FeedbackOrigin = z.infer<typeof feedbackOriginSchema>;

/**
 * One line of `manifest.jsonl` (DESIGN.md "Manifest record"). The dataset stage writes every field;
 * readers also accept a hand-made or older manifest without the descriptive ones (they read as null).
 */
export const manifestRecordSchema = z.object({
  /** sha256 of the file bytes (exact duplicates share it). */
  id: z.string().min(1),
  /** Path relative to its source's root, `/`-separated. */
  path: z.string().min(1),
  /** Absolute path of the file when the stage ran; what train/evaluate open (see recordFile). */
  file: z.string().min(1).optional(),
  /** Class name as the user wrote it (folder name or manifest label). */
  label: z.string().min(1),
  /** Stable slug of `label` (labels.json `id`). */
  labelId: z.string().min(1),
  /** null = left out of training by a flag (see `flags`). */
  split: z.enum(SPLITS).nullable(),
  width: z.number().int().positive().nullable().default(null),
  height: z.number().int().positive().nullable().default(null),
  format: z.string().nullable().default(null),
  bytes: z.number().int().nonnegative().nullable().default(null),
  /** Name of the data source (config `data.sources[].name`, or the root folder's name). */
  source: z.string().nullable().default(null),
  license: z.string().nullable().default(null),
  /** EXIF capture time as written by the camera, `YYYY-MM-DDTHH:MM:SS` (+offset when known). */
  dateCollected: z.string().nullable().default(null),
  camera: z.string().nullable().default(null),
  /** EXIF GPS, only with `data.keepLocation: true`. */
  location: z.object({ latitude: z.number(), longitude: z.number() }).nullable().default(null),
  /** 64-bit pHash, 16 hex chars. */
  phash: z
    .string()
    .regex(/^[0-9a-f]{16}$/i, 'expected a 16-hex-digit pHash')
    .nullable()
    .default(null),
  /** Variance of the Laplacian on the analysis thumbnail; low = blurry. */
  blur: z.number().nullable().default(null),
  /** Quality and duplicate findings: `corrupt`, `too_small`, `blurry`, `extreme_aspect`,
   * `near_uniform`, `duplicate_of:<id>`, `near_duplicate_group:<n>`, `label_conflict`. */
  flags: z.array(z.string()).default([]),
  /** Set on images that came from user feedback. */
  feedback: feedbackOriginSchema.nullable().default(null),
});
export type ManifestRecord = z.infer<typeof manifestRecordSchema>;

const HINT = 'run the dataset stage again (pipeline run --from dataset)';

/** Reads `manifest.jsonl`; a line that is not a manifest record fails naming the line and the field. */
export async function readManifest(path: string, hint = HINT): Promise<ManifestRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ContractError(path, '(file)', 'expected the file to exist', { hint, cause });
  }
  const records: ManifestRecord[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (cause) {
      throw new ContractError(path, `line ${i + 1}`, 'expected a JSON object', { hint, cause });
    }
    records.push(parseContract(manifestRecordSchema, value, path, { hint, fieldPrefix: `line ${i + 1}: ` }));
  }
  return records;
}

export async function writeManifest(path: string, records: readonly ManifestRecord[]): Promise<void> {
  const lines = records.map((r) => JSON.stringify(manifestRecordSchema.parse(r)));
  await writeFileAtomic(path, `${lines.join('\n')}\n`);
}

/** One data source of the config, paths resolved against the config's folder. */
export interface SourceSpec {
  name: string;
  root: string;
  manifest: string | null;
  license: string | null;
  /** `root` is a serving feedback store. */
  feedback: boolean;
}

type DataConfig = PlantidConfig['data'];

/** `data.root` (shorthand) and `data.sources[]`, with the names manifest records carry in `source`. */
export function sourceSpecs(data: DataConfig, configDir: string): SourceSpec[] {
  const specs: SourceSpec[] = [];
  if (data.root) {
    const root = resolve(configDir, data.root);
    specs.push({
      name: basename(root),
      root,
      manifest: null,
      license: data.license ?? null,
      feedback: false,
    });
  }
  for (const s of data.sources ?? []) {
    const root = resolve(configDir, s.root);
    specs.push({
      name: s.name ?? basename(root),
      root,
      manifest: s.manifest ? resolve(configDir, s.manifest) : null,
      license: s.license ?? data.license ?? null,
      feedback: s.feedback ?? false,
    });
  }
  return specs;
}

/**
 * The image a manifest record names: its absolute `file` (the dataset stage always writes one),
 * else its `path` under the root of the source it names, matched by the names `sourceSpecs` gives.
 */
export function recordFile(
  record: { path: string; file?: string | undefined; source?: string | null | undefined },
  data: DataConfig,
  configDir: string,
): string {
  if (record.file) return record.file;
  if (isAbsolute(record.path)) return record.path;
  const specs = sourceSpecs(data, configDir);
  const spec = specs.find((s) => s.name === record.source) ?? (specs.length === 1 ? specs[0] : undefined);
  if (!spec)
    throw new UsageError(`cannot tell which data source holds ${record.path}`, {
      where: 'data.sources',
      hint: 'run the dataset stage again (its manifest records carry each file)',
    });
  return resolve(spec.root, record.path);
}
