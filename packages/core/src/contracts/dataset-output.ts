import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { PlantidConfig } from '../config/schema.js';
import { sha256File } from '../hash.js';
import { DETAIL_LENGTH } from '../near-duplicates/rule.js';
import { ContractError, readJsonContract } from './contract-error.js';
import { LABELS_FILE, type Label, readLabels } from './labels.js';
import { MANIFEST_FILE, type ManifestRecord, readManifest, recordFile } from './manifest.js';
import { NEGATIVES_FILE, type NegativeRecord, readNegatives } from './negatives.js';

/** Fine-detail signatures of every manifest record, in manifest order (DETAIL_LENGTH int8 each). */
export const SIGNATURES_FILE = 'signatures.bin';
export const CLASS_WEIGHTS_FILE = 'class_weights.json';

/** `class_weights.json`: label id → loss weight (balanced: n / (classes × n_class)). */
export const classWeightsSchema = z.record(z.string(), z.number().nonnegative());

const HINT = 'run the dataset stage again (pipeline run --from dataset)';

export function packSignatures(details: readonly (Int8Array | null)[]): Uint8Array {
  const out = new Int8Array(details.length * DETAIL_LENGTH);
  details.forEach((d, i) => {
    if (d) out.set(d, i * DETAIL_LENGTH);
  });
  return new Uint8Array(out.buffer);
}

/** Reads signatures.bin, which must hold one signature per manifest record. */
export async function readSignatures(datasetDir: string, count: number): Promise<Int8Array[]> {
  const path = join(datasetDir, SIGNATURES_FILE);
  const bytes = await readFile(path).catch((cause: unknown) => {
    throw new ContractError(path, '(file)', 'expected the near-duplicate signatures', { hint: HINT, cause });
  });
  if (bytes.length !== count * DETAIL_LENGTH)
    throw new ContractError(
      path,
      '(file)',
      `expected ${count} signatures (one per manifest record), holds ${bytes.length / DETAIL_LENGTH}`,
      { hint: HINT },
    );
  const all = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  return Array.from({ length: count }, (_, i) => all.subarray(i * DETAIL_LENGTH, (i + 1) * DETAIL_LENGTH));
}

/** What a stage reading an upstream output may need besides its folder: where the config's paths point. */
export interface StageReadContext {
  config: PlantidConfig;
  configDir: string;
}

/** The dataset stage's output, parsed: every record with the image file it names resolved. */
export interface DatasetOutput {
  dir: string;
  manifestPath: string;
  /** sha256 of manifest.jsonl: the dataset's identity in train.json and bundles. */
  hash: string;
  records: (ManifestRecord & { file: string })[];
  labels: Label[];
  classWeights: Record<string, number>;
  /** Photos of `data.negatives` (none of the classes), with their own val/test split; empty without. */
  negatives: NegativeRecord[];
  /** signatures.bin, read on demand (only the leakage re-check needs it). */
  signatures(): Promise<Int8Array[]>;
}

export async function readDatasetOutput(dir: string, context: StageReadContext): Promise<DatasetOutput> {
  const manifestPath = join(dir, MANIFEST_FILE);
  const records = (await readManifest(manifestPath, HINT)).map((r) => ({
    ...r,
    file: recordFile(r, context.config.data, context.configDir),
  }));
  return {
    dir,
    manifestPath,
    hash: await sha256File(manifestPath),
    records,
    labels: await readLabels(join(dir, LABELS_FILE), HINT),
    classWeights: await readJsonContract(classWeightsSchema, join(dir, CLASS_WEIGHTS_FILE), HINT),
    negatives: await readNegatives(join(dir, NEGATIVES_FILE), HINT),
    signatures: () => readSignatures(dir, records.length),
  };
}
