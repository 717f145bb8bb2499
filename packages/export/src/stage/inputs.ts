import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashDirectory, sha256File, WorkError } from '@plantid/core';
import { type PreprocessSpec, parseSpec } from '@plantid/preprocess';
import { type BundleLabel, bundleLabelsSchema } from '../bundle/labels.js';
import type { DatasetRecord } from '../card/data-summary.js';

export interface TrainOutput {
  /** Folder holding model.json + weights (the train → contract). */
  modelDir: string;
  modelJson: string;
  /** Content hash of modelDir: what "the same trained model" means for re-publishing. */
  modelHash: string;
  labels: BundleLabel[];
  preprocess: PreprocessSpec;
  /** train.json as written by the train stage (hashes, names); fields read leniently. */
  info: Record<string, unknown>;
}

export interface DatasetOutput {
  records: DatasetRecord[];
  /** sha256 of manifest.jsonl. */
  hash: string;
}

function missingInput(stage: string, path: string, cause: unknown): WorkError {
  return new WorkError(`the ${stage} stage output is missing or unreadable`, {
    where: path,
    hint: `rerun from it: \`pipeline run --from ${stage}\``,
    cause,
  });
}

async function readJson(stage: string, path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw missingInput(stage, path, error);
  }
}

export async function readTrainOutput(dir: string): Promise<TrainOutput> {
  const modelDir = join(dir, 'model');
  const labelsPath = join(dir, 'labels.json');
  const labels = bundleLabelsSchema.safeParse(await readJson('train', labelsPath));
  if (!labels.success) {
    throw new WorkError(
      `labels.json is not a list of { index, id, name }: ${labels.error.issues[0]?.message}`,
      {
        where: labelsPath,
      },
    );
  }
  const preprocessPath = join(dir, 'preprocess.json');
  const preprocess = parseSpec(await readJson('train', preprocessPath), preprocessPath);
  const infoPath = join(dir, 'train.json');
  const info = (await readJson('train', infoPath).catch(() => ({}))) as Record<string, unknown>;
  const modelJson = join(modelDir, 'model.json');
  await sha256File(modelJson).catch((error: unknown) => {
    throw missingInput('train', modelJson, error);
  });
  return {
    modelDir,
    modelJson,
    modelHash: await hashDirectory(modelDir),
    labels: labels.data,
    preprocess,
    info,
  };
}

/** Evaluate's metrics.json, or null when the run had no evaluate stage. */
export async function readEvaluateOutput(dir: string | undefined): Promise<unknown> {
  if (!dir) return null;
  return readJson('evaluate', join(dir, 'metrics.json'));
}

export async function readDatasetOutput(dir: string): Promise<DatasetOutput> {
  const path = join(dir, 'manifest.jsonl');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw missingInput('dataset', path, error);
  }
  const records: DatasetRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      records.push(JSON.parse(line) as DatasetRecord);
    } catch (error) {
      throw new WorkError(`line ${i + 1} is not JSON`, {
        where: path,
        hint: 'rerun the dataset stage',
        cause: error,
      });
    }
  });
  return { records, hash: await sha256File(path) };
}

/**
 * The backbone's sha256 for the manifest: train.json's record of it when present, else the
 * configured checksum, else null (the card then says it is unknown).
 */
export function backboneHash(info: Record<string, unknown>, configured: string | undefined): string | null {
  const backbone = info.backbone as Record<string, unknown> | undefined;
  const hashes = info.hashes as Record<string, unknown> | undefined;
  const candidates = [backbone?.sha256, hashes?.backbone, info.backboneSha256, configured];
  const found = candidates.find((c): c is string => typeof c === 'string' && /^[0-9a-f]{64}$/.test(c));
  return found ?? null;
}

/** The backbone weights' licence as train.json records it (`backbone.license`), if it does. */
export function backboneLicense(info: Record<string, unknown>): string | null {
  const license = (info.backbone as Record<string, unknown> | undefined)?.license;
  return typeof license === 'string' && license.trim() ? license.trim() : null;
}
