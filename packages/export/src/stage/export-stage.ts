import { cp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  defineStage,
  hashJson,
  isUrl,
  resolvePath,
  type StageContext,
  type StageSummary,
  sha256File,
  UsageError,
  WorkError,
} from '@plantid/core';
import { loadLayersModel, selectTfjsBackend } from '@plantid/engine';
import type { BundleManifest } from '../bundle/manifest.js';
import { PRODUCER } from '../bundle/producer.js';
import { readBundle } from '../bundle/read.js';
import { writeBundle } from '../bundle/write.js';
import { summariseDataset } from '../card/data-summary.js';
import { renderModelCard } from '../card/render.js';
import { findPublished, nextVersion, publishBundle, VersionTakenError } from '../registry/registry.js';
import { buildCheckedOnnx, type CheckedOnnx } from './checked-onnx.js';
import {
  backboneHash,
  backboneLicense,
  type DatasetOutput,
  readDatasetOutput,
  readEvaluateOutput,
  readTrainOutput,
  type TrainOutput,
} from './inputs.js';

/** How many times a version taken by a concurrent export is retried with the next number. */
const PUBLISH_ATTEMPTS = 3;

export const exportStage = defineStage({
  name: 'export',
  description:
    'convert the trained model to ONNX (+ fp16/int8), check parity on real test photos, write and publish the bundle',
  version: '1',
  needs: ['dataset', 'train', 'evaluate'],
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

async function runExport(ctx: StageContext): Promise<StageSummary> {
  const { config, log } = ctx;
  const train = await readTrainOutput(requireInput(ctx, 'train'));
  const dataset = await readDatasetOutput(requireInput(ctx, 'dataset'));
  const metrics = await readEvaluateOutput(ctx.inputs.evaluate);
  if (metrics === null) log.warn('no evaluate output: the bundle has no metrics and its card says so');

  const name = config.model.name;
  const registryDir = resolvePath(ctx, config.export.registry);
  const hashes: BundleManifest['hashes'] = {
    config: hashJson(config),
    dataset: dataset.hash,
    backbone: backboneHash(train.info, config.model.sha256 ?? (await localWeightsHash(ctx))),
    model: train.modelHash,
  };

  // A run killed after publishing finds its version again instead of adding a duplicate.
  const published = await findPublished(registryDir, name, hashes, PRODUCER.version);
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
  ctx: StageContext,
  bundleDir: string,
  parts: {
    version: number;
    train: TrainOutput;
    dataset: DatasetOutput;
    metrics: unknown;
    hashes: BundleManifest['hashes'];
    checked: CheckedOnnx | null;
  },
): Promise<BundleManifest> {
  const { config } = ctx;
  const { version, train, checked } = parts;
  const created = new Date();
  const modelBytes = Object.fromEntries(
    Object.entries(checked?.onnx ?? {}).map(([v, bytes]) => [v, bytes.byteLength]),
  );
  const card = renderModelCard({
    name: config.model.name,
    version,
    created,
    labels: train.labels,
    data: summariseDataset(parts.dataset.records),
    metrics: parts.metrics,
    backbone: {
      family: config.model.backbone,
      weights: config.model.weights,
      license: config.export.card.weightsLicense ?? backboneLicense(train.info),
    },
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
    card,
    hashes: parts.hashes,
    parity: checked?.parity ?? null,
    quantization: checked?.quantization ?? {},
  });
}

/** Publishes into the registry (alias latest), tells the tracker, and returns the run-summary figures. */
async function publish(
  ctx: StageContext,
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

function requireInput(ctx: StageContext, stage: string): string {
  const dir = ctx.inputs[stage];
  if (!dir)
    throw new WorkError(`the export stage needs the ${stage} stage output`, {
      hint: `add ${stage} to stages`,
    });
  return dir;
}

/** sha256 of a local backbone model.json; undefined for URLs (train.json or model.sha256 carry those). */
async function localWeightsHash(ctx: StageContext): Promise<string | undefined> {
  const weights = ctx.config.model.weights;
  if (isUrl(weights)) return undefined;
  return sha256File(resolvePath(ctx, weights)).catch(() => undefined);
}
