import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  BUNDLE_FORMAT,
  BUNDLE_SCHEMA_VERSION,
  type BundleManifest,
  bundleManifestSchema,
  type Label,
  labelsSchema,
  OPEN_SET_FILE,
  type ParityResult,
  type PreprocessSpec,
  UsageError,
  WorkError,
  writeDirAtomic,
  writeFileAtomic,
  writeJsonAtomic,
  writeLabels,
  writePreprocessSpec,
} from '@plantid/core';
import { describeFiles } from './files.js';
import { BUNDLE_FILES, ONNX_VARIANT_FILES, ONNX_VARIANTS, type OnnxVariant } from './layout.js';
import { PRODUCER } from './producer.js';

export interface BundleInput {
  name: string;
  /** Positive integer; the registry hands out the next one (see nextVersion). */
  version: number;
  created?: Date;
  runId?: string | null;
  /** ONNX graphs by variant; fp16/int8 need fp32 beside them. */
  onnx?: Partial<Record<OnnxVariant, Uint8Array>>;
  /** A tfjs layers model folder (model.json + the weight shards it lists), copied into tfjs/. */
  tfjsDir?: string;
  labels: Label[];
  preprocess: PreprocessSpec;
  /** Evaluate's metrics.json, copied verbatim (it carries calibration.temperature). */
  metrics?: unknown;
  /** The model card (see renderModelCard). */
  card: string;
  /** Evaluate's openset.json and the files it names (absolute paths), copied beside it. */
  openSet?: { path: string; files: readonly string[] } | null;
  hashes: BundleManifest['hashes'];
  /** Where the pretrained weights came from and their licence (from train.json). */
  backbone?: BundleManifest['backbone'];
  parity?: ParityResult | null;
  quantization?: BundleManifest['quantization'];
}

/**
 * Writes `bundle/<name>/<version>/` (or any `dir`) atomically: every file goes into a temp
 * sibling, manifest.json records the sha256 and size of each, then one rename publishes it.
 */
export async function writeBundle(dir: string, input: BundleInput): Promise<BundleManifest> {
  const onnx = input.onnx ?? {};
  if (!onnx.fp32 && !input.tfjsDir) {
    throw new UsageError('a bundle needs at least one model: model.onnx or a tfjs folder', { where: dir });
  }
  if ((onnx.fp16 || onnx.int8) && !onnx.fp32) {
    throw new UsageError('quantised ONNX variants need the fp32 model.onnx beside them', { where: dir });
  }
  const labels = labelsSchema.safeParse(input.labels);
  if (!labels.success) {
    throw new UsageError(`labels are not valid: ${labels.error.issues[0]?.message}`, {
      where: BUNDLE_FILES.labels,
    });
  }

  return writeDirAtomic(dir, async (temp) => {
    const variants: BundleManifest['model']['variants'] = {};
    for (const variant of ONNX_VARIANTS) {
      const bytes = onnx[variant];
      if (!bytes) continue;
      await writeFileAtomic(join(temp, ONNX_VARIANT_FILES[variant]), bytes);
      variants[variant] = ONNX_VARIANT_FILES[variant];
    }
    if (input.tfjsDir) {
      await copyTfjsModel(input.tfjsDir, join(temp, BUNDLE_FILES.tfjsDir));
      variants.tfjs = BUNDLE_FILES.tfjsModel;
    }
    await writeLabels(join(temp, BUNDLE_FILES.labels), input.labels);
    await writePreprocessSpec(join(temp, BUNDLE_FILES.preprocess), input.preprocess);
    if (input.metrics !== undefined) await writeJsonAtomic(join(temp, BUNDLE_FILES.metrics), input.metrics);
    await writeFileAtomic(join(temp, BUNDLE_FILES.card), input.card);
    if (input.openSet) {
      await copyFile(input.openSet.path, join(temp, OPEN_SET_FILE));
      for (const file of input.openSet.files) await copyFile(file, join(temp, basename(file)));
    }

    const manifest = bundleManifestSchema.parse({
      schemaVersion: BUNDLE_SCHEMA_VERSION,
      format: BUNDLE_FORMAT,
      name: input.name,
      version: input.version,
      created: (input.created ?? new Date()).toISOString(),
      producer: PRODUCER,
      hashes: input.hashes,
      runId: input.runId ?? null,
      ...(input.backbone ? { backbone: input.backbone } : {}),
      model: {
        inputShape: [null, input.preprocess.size, input.preprocess.size, 3],
        layout: 'NHWC',
        outputSize: input.labels.length,
        variants,
      },
      parity: input.parity ?? null,
      quantization: input.quantization ?? {},
      files: await describeFiles(temp),
    } satisfies BundleManifest);
    await writeJsonAtomic(join(temp, BUNDLE_FILES.manifest), manifest);
    return manifest;
  });
}

/** Copies model.json and exactly the weight shards its weightsManifest lists (no stray files). */
async function copyTfjsModel(fromDir: string, toDir: string): Promise<void> {
  const modelJsonPath = join(fromDir, 'model.json');
  let modelJson: { weightsManifest?: { paths?: string[] }[] };
  try {
    modelJson = JSON.parse(await readFile(modelJsonPath, 'utf8'));
  } catch (error) {
    throw new WorkError('cannot read the tfjs model.json to put in the bundle', {
      where: modelJsonPath,
      hint: 'rerun the train stage',
      cause: error,
    });
  }
  await mkdir(toDir, { recursive: true });
  await copyFile(modelJsonPath, join(toDir, 'model.json'));
  for (const group of modelJson.weightsManifest ?? []) {
    for (const shard of group.paths ?? []) {
      if (shard.includes('..') || shard.startsWith('/')) {
        throw new WorkError(`weight shard path "${shard}" leaves the model folder`, { where: modelJsonPath });
      }
      const target = join(toDir, shard);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(join(fromDir, shard), target).catch((error: unknown) => {
        throw new WorkError(`weight shard "${shard}" listed in model.json is missing`, {
          where: join(fromDir, shard),
          hint: 'rerun the train stage',
          cause: error,
        });
      });
    }
  }
}
