import { cp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  findPublished,
  nextVersion,
  publishBundle,
  readBundle,
  VersionTakenError,
  writeBundle,
} from '@plantid/bundle';
import {
  type BundleManifest,
  type DatasetOutput,
  defineStage,
  type EvaluateOutput,
  hashJson,
  type MetricsFile,
  readDatasetOutput,
  readEvaluateOutput,
  readTrainOutput,
  resolvePath,
  type StageContext,
  type StageSummary,
  type TrainOutput,
  UsageError,
} from '@plantid/core';
import { loadLayersModel, selectTfjsBackend } from '@plantid/engine';
import { summariseDataset } from '../card/data-summary.js';
import { cardMetrics, renderModelCard } from '../card/render.js';
import { buildCheckedOnnx, type CheckedOnnx } from './checked-onnx.js';

/** What the export stage reads: the dataset, train and evaluate outputs (evaluate absent in library use). */
export interface ExportInputs {
  dataset: DatasetOutput;
  train: TrainOutput;
  evaluate?: EvaluateOutput;
}

/** How many times a version taken by a concurrent export is retried with the next number. */
const PUBLISH_ATTEMPTS = 3;

export const exportStage = defineStage<ExportInputs>({
  name: 'export',
  description:
    'convert the trained model to ONNX (+ fp16/int8), check parity on real test photos, write and publish the bundle',
  version: '1',
  code: import.meta.url,
  needs: ['dataset', 'train', 'evaluate'],
  readers: { dataset: readDatasetOutput, train: readTrainOutput, evaluate: readEvaluateOutput },
  configKeys: ['export', 'model'],
  outputs: ['bundle/<name>/<version>/', 'parity.json'],
  async validate(config, configDir) {
    const registry = resolvePath({ configDir }, config.export.registry);
    const info = await stat(registry).catch(() => null);
    if (info && !info.isDirectory()) {
      throw new UsageError(`registry ${registry} is a file, not a folder`, {
        where: 'export.registry',
        hint: 'point export.registry at a folder (default: models)',
      });
    }
    if (config.export.quantize.length && !config.export.formats.includes('onnx')) {
      throw new UsageError('quantised variants are ONNX models but export.formats has no onnx', {
        where: 'export.quantize',
        hint: 'add onnx to export.formats or set export.quantize: []',
      });
    }
  },
  run: runExport,
});

async function runExport(ctx: StageContext<ExportInputs>): Promise<StageSummary> {
  const { config, log } = ctx;
  const { train, dataset } = ctx.inputs;
  const metrics = ctx.inputs.evaluate?.metrics ?? null;
  if (metrics === null) log.warn('no evaluate output: the bundle has no metrics and its card says so');

  const name = config.model.name;
  const registryDir = resolvePath(ctx, config.export.registry);
  const hashes: BundleManifest['hashes'] = {
    config: hashJson(config),
    dataset: dataset.hash,
    backbone: train.record.hashes.backbone,
    model: train.modelHash,
  };

  // A run killed after publishing finds its version again instead of adding a duplicate.
  const published = await findPublished(registryDir, name, hashes);
  if (published !== undefined) {
    log.info(`this model is already published as ${name}@${published}; reusing it`);
    const bundleDir = join(ctx.outDir, 'bundle', name, String(published));
    await cp(join(registryDir, name, String(published)), bundleDir, { recursive: true });
    return publish(ctx, bundleDir, registryDir, (await readBundle(bundleDir)).manifest);
  }

  let checked: CheckedOnnx | null = null;
  if (config.export.formats.includes('onnx')) {
    await selectTfjsBackend('forward', { log });
    const model = await loadLayersModel(train.modelJson);
    try {
      checked = await buildCheckedOnnx(ctx, model, train, dataset.records);
    } finally {
      model.dispose();
    }
  }

  for (let attempt = 1; ; attempt++) {
    const version = await nextVersion(registryDir, name);
    const bundleDir = join(ctx.outDir, 'bundle', name, String(version));
    const manifest = await writeExportBundle(ctx, bundleDir, {
      version,
      train,
      dataset,
      metrics,
      hashes,
      checked,
    });
    try {
      return await publish(ctx, bundleDir, registryDir, manifest);
    } catch (error) {
      if (!(error instanceof VersionTakenError) || attempt >= PUBLISH_ATTEMPTS) throw error;
      log.warn(`${name}@${version} was taken by another export meanwhile; retrying with the next version`);
      await rm(join(ctx.outDir, 'bundle'), { recursive: true, force: true });
    }
  }
}

async function writeExportBundle(
  ctx: StageContext<ExportInputs>,
  bundleDir: string,
  parts: {
    version: number;
    train: TrainOutput;
    dataset: DatasetOutput;
    metrics: MetricsFile | null;
    hashes: BundleManifest['hashes'];
    checked: CheckedOnnx | null;
  },
): Promise<BundleManifest> {
  const { config } = ctx;
  const { version, train, checked } = parts;
  const created = new Date();
  const backbone = {
    family: train.record.backbone.family,
    source: train.record.backbone.source,
    // export.card.weightsLicense (older configs) still overrides what train recorded.
    license: config.export.card.weightsLicense ?? train.record.backbone.license,
  };
  const modelBytes = Object.fromEntries(
    Object.entries(checked?.onnx ?? {}).map(([v, bytes]) => [v, bytes.byteLength]),
  );
  const card = renderModelCard({
    name: config.model.name,
    version,
    created,
    labels: train.labels,
    data: summariseDataset(parts.dataset.records),
    metrics: parts.metrics && cardMetrics(parts.metrics),
    backbone,
    preprocess: train.preprocess,
    parity: checked?.parity ?? null,
    quantization: checked?.quantization ?? {},
    modelBytes,
    intendedUse: config.export.card.intendedUse,
    limitations: config.export.card.limitations,
  });
  return writeBundle(bundleDir, {
    name: config.model.name,
    version,
    created,
    runId: ctx.runId,
    onnx: checked?.onnx ?? {},
    ...(config.export.formats.includes('tfjs') ? { tfjsDir: train.modelDir } : {}),
    labels: train.labels,
    preprocess: train.preprocess,
    ...(parts.metrics !== null ? { metrics: parts.metrics } : {}),
    openSet: ctx.inputs.evaluate?.openSet ?? null,
    card,
    hashes: parts.hashes,
    backbone,
    parity: checked?.parity ?? null,
    quantization: checked?.quantization ?? {},
  });
}

/** Publishes into the registry (alias latest), tells the tracker, and returns the run-summary figures. */
async function publish(
  ctx: StageContext<ExportInputs>,
  bundleDir: string,
  registryDir: string,
  manifest: BundleManifest,
): Promise<StageSummary> {
  const published = await publishBundle(bundleDir, registryDir, { aliases: ['latest'] });
  const ref = `${published.name}@${published.version}`;
  ctx.log.info(
    `${published.alreadyPublished ? 'already in' : 'published to'} the registry as ${ref} (latest) → ${published.dir}`,
  );
  try {
    await ctx.tracker.registerModel(manifest.name, published.dir, {
      alias: 'latest',
      tags: {
        version: String(manifest.version),
        configHash: manifest.hashes.config,
        datasetHash: manifest.hashes.dataset,
      },
    });
  } catch (error) {
    // The bundle is safe in the local registry; a tracking outage must not fail the export.
    ctx.log.warn(`could not register ${ref} with tracking: ${(error as Error).message}`);
  }
  const fp32 = manifest.model.variants.fp32 ? manifest.files[manifest.model.variants.fp32] : undefined;
  return {
    model: ref,
    onnxMB: fp32 ? Number((fp32.bytes / 1e6).toFixed(2)) : null,
    parityMaxAbsDiff: manifest.parity?.variants.fp32?.maxAbsDiff ?? null,
    int8Top1Agreement: manifest.parity?.variants.int8?.top1Agreement ?? null,
  };
}
