import { readFile } from 'node:fs/promises';
import { type FeedbackRecord, WorkError } from '@plantid/core';

export type Split = 'train' | 'val' | 'test';
export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

/** One line of `manifest.jsonl` (DESIGN.md "Manifest record" plus `labelId`, `file`, `split`). */
export interface ManifestRecord {
  /** sha256 of the file bytes (exact duplicates share it). */
  id: string;
  /** Path relative to its source's root, `/`-separated. */
  path: string;
  /** Absolute path of the file when the stage ran; what train/evaluate open. */
  file: string;
  /** Class name as the user wrote it (folder name or manifest label). */
  label: string;
  /** Stable slug of `label` (labels.json `id`). */
  labelId: string;
  /** null = left out of training by a flag (see `flags`). */
  split: Split | null;
  width: number | null;
  height: number | null;
  format: string | null;
  bytes: number;
  source: string;
  license: string | null;
  /** EXIF capture time as written by the camera, `YYYY-MM-DDTHH:MM:SS` (+offset when known). */
  dateCollected: string | null;
  camera: string | null;
  /** EXIF GPS, only with `data.keepLocation: true`. */
  location: { latitude: number; longitude: number } | null;
  /** 64-bit pHash, 16 hex chars (see `phash64`). */
  phash: string | null;
  /** Variance of the Laplacian on the analysis thumbnail; low = blurry. */
  blur: number | null;
  /** Quality and duplicate findings: `corrupt`, `too_small`, `blurry`, `extreme_aspect`,
   * `near_uniform`, `duplicate_of:<id>`, `near_duplicate_group:<n>`, `label_conflict`. */
  flags: string[];
  /** Set on images that came from user feedback. */
  feedback: FeedbackOrigin | null;
}

/** Where a feedback photo came from: the serving side's feedback record, less the photo and location. */
export type FeedbackOrigin = Pick<
  FeedbackRecord,
  'id' | 'time' | 'predictionId' | 'model' | 'predicted' | 'correct'
>;

export interface LabelEntry {
  /** Position in the model's output vector. */
  index: number;
  id: string;
  name: string;
}

/** Reads a `manifest.jsonl` written by the dataset stage. */
export async function readManifest(path: string): Promise<ManifestRecord[]> {
  const text = await readFile(path, 'utf8');
  const records: ManifestRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      records.push(JSON.parse(line) as ManifestRecord);
    } catch {
      throw new WorkError(`line ${i + 1} is not valid JSON`, {
        where: path,
        hint: 'rerun the dataset stage',
      });
    }
  });
  return records;
}

/** Reads `labels.json` (`[{ index, id, name }]`, index = model output order). */
export async function readLabels(path: string): Promise<LabelEntry[]> {
  const labels = JSON.parse(await readFile(path, 'utf8')) as LabelEntry[];
  if (!Array.isArray(labels) || labels.some((l, i) => l.index !== i || typeof l.id !== 'string')) {
    throw new WorkError('labels.json is not a list of { index, id, name } in index order', { where: path });
  }
  return labels;
}
