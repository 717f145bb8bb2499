import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  defineStage,
  hashJson,
  isUrl,
  resolvePath,
  selectTfjsBackend,
  type StageContext,
  sha256File,
  UsageError,
  WorkError,
  writeJsonAtomic,
} from '@plantid/core';
import { layersModelToOnnx, loadLayersModel } from '@plantid/engine';
import { readBundle } from '../bundle/read.js';
import { PRODUCER } from '../bundle/producer.js';
import { writeBundle } from '../bundle/write.js';
import { assertParity, checkVariantParity, type ParityCheckResult } from '../parity/parity.js';
import { quantizeVariants } from '../quantize/quantize.js';
import type { BundleManifest, ParityResult } from '../bundle/manifest.js';
import type { OnnxVariant } from '../bundle/layout.js';
import { summariseDataset } from '../card/data-summary.js';
import { renderModelCard } from '../card/render.js';
import { findPublished, nextVersion, publishBundle } from '../registry/registry.js';
import { backboneHash, readDatasetOutput, readEvaluateOutput, readTrainOutput } from './inputs.js';
import { loadParityBatch, pickParityRecords, recordImagePath } from './parity-images.js';

/** How many times a version taken by a concurrent export is retried with the next number. */
const PUBLISH_ATTEMPTS = 3;

export const exportStage = defineStage({
  name: 'export',
  description: 'convert the trained model to ONNX (+ fp16/int8), check parity on real test images, write the bundle, publish it',
  version: '1',
  needs: ['dataset', 'train', 'evaluate'],
  configKeys: ['export', 'model'],
  outputs: ['bundle/<name>/<version>/', 'parity.json'],
  async validate(config) {
    if (config.export.quantize.length && !config.export.formats.includes('onnx')) {
      throw new UsageError('quantised variants are ONNX models but export.formats has no onnx', {
        where: 'export.quantize',
        hint: 'add onnx to export.formats or set export.quantize: []',
      });
    }
  },
  run: runExport,
});

async function runExport(ctx: StageContext) {
  const { config, log } = ctx;
  const trainDir = requireInput(ctx, 'train');
  const train = await readTrainOutput(trainDir);
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

  const published = await findPublished(registryDir, name, hashes, PRODUCER.version);
  if (published !== undefined) {
    log.info(`this model is already published as ${name}@${published}; reusing it`);
    const bundleDir = join(ctx.outDir, 'bundle', name, String(published));
    await cp(join(registryDir, name, String(published)), bundleDir, { recursive: true });
    const bundle = await readBundle(bundleDir);
    return finish(ctx, bundleDir, registryDir, bundle.manifest);
  }

  await selectTfjsBackend('forward', { log });
  const model = await loadLayersModel(train.modelJson);
  try {
    const onnx: Partial<Record<OnnxVariant, Uint8Array>> = {};
    let quantization: BundleManifest['quantization'] = {};
    let parity: ParityResult | null = null;

    if (config.export.formats.includes('onnx')) {
      onnx.fp32 = layersModelToOnnx(model, { name });
      log.info(`converted to ONNX: ${(onnx.fp32.byteLength / 1e6).toFixed(2)} MB`);
      const quantized = await quantizeVariants(onnx.fp32, config.export.quantize, log);
      Object.assign(onnx, quantized.onnx);
      quantization = definedEntries(quantized.report) as BundleManifest['quantization'];

      const records = pickParityRecords(dataset.records, config.export.parity.samples);
      if (records.length === 0) {
        throw new WorkError('the dataset has no usable images to check parity on', {
          where: join(requireInput(ctx, 'dataset'), 'manifest.jsonl'),
        });
      }
      if (records.length < config.export.parity.samples) {
        log.warn(`parity on ${records.length} images: fewer usable than export.parity.samples (${config.export.parity.samples})`);
      }
      const bar = ctx.progress('parity images', records.length, 'images');
      const batch = await loadParityBatch(
        records,
        train.preprocess,
        (r) => recordImagePath(r, config.data, ctx.configDir),
        () => bar.tick(),
      );
      bar.stop();
      const labelIndex = new Map(train.labels.map((l) => [l.id, l.index]));
      const checked = await checkVariantParity({
        model,
        onnx,
        batch,
        n: records.length,
        labels: records.map((r) => labelIndex.get(r.labelId) ?? -1),
        threads: config.engine.threads,
        log,
      });
      parity = parityForManifest(checked);
      if (!parity.passed) {
        const report = join(ctx.workDir, 'parity.json');
        await writeJsonAtomic(report, parity);
        assertParity(checked, report);
      }
      await writeJsonAtomic(join(ctx.outDir, 'parity.json'), parity);
    }

    const data = summariseDataset(dataset.records);
    const created = new Date();
    for (let attempt = 1; ; attempt++) {
      const version = await nextVersion(registryDir, name);
      const bundleDir = join(ctx.outDir, 'bundle', name, String(version));
      const modelBytes: Record<string, number> = {};
      for (const [variant, bytes] of Object.entries(onnx)) modelBytes[variant] = bytes.byteLength;
      const manifest = await writeBundle(bundleDir, {
        name,
        version,
        created,
        runId: ctx.runId,
        onnx,
        ...(config.export.formats.includes('tfjs') ? { tfjsDir: train.modelDir } : {}),
        labels: train.labels,
        preprocess: train.preprocess,
        metrics: metrics ?? undefined,
        card: renderModelCard({
          name,
          version,
          created,
          labels: train.labels,
          data,
          metrics,
          backbone: { family: config.model.backbone, weights: config.model.weights, license: config.export.card.weightsLicense ?? null },
          preprocess: train.preprocess,
          parity,
          quantization,
          modelBytes,
          intendedUse: config.export.card.intendedUse,
          limitations: config.export.card.limitations,
        }),
        hashes,
        parity,
        quantization,
      });
      try {
        return await finish(ctx, bundleDir, registryDir, manifest);
      } catch (error) {
        const taken = error instanceof WorkError && /published by another export|already exists/.test(error.message);
        if (!taken || attempt >= PUBLISH_ATTEMPTS) throw error;
        log.warn(`${name}@${version} was taken by another export meanwhile; retrying with the next version`);
        await rm(join(ctx.outDir, 'bundle'), { recursive: true, force: true });
      }
    }
  } finally {
    model.dispose();
  }
}

/** Publishes into the registry (alias latest), tells the tracker, and returns the run-summary figures. */
async function finish(ctx: StageContext, bundleDir: string, registryDir: string, manifest: BundleManifest) {
  const published = await publishBundle(bundleDir, registryDir, { aliases: ['latest'] });
  ctx.log.info(
    `${published.alreadyPublished ? 'already in' : 'published to'} the registry as ${published.name}@${published.version} (latest) → ${published.dir}`,
  );
  await ctx.tracker.registerModel(manifest.name, published.dir, {
    alias: 'latest',
    tags: { version: String(manifest.version), configHash: manifest.hashes.config, datasetHash: manifest.hashes.dataset },
  });
  const fp32 = manifest.model.variants.fp32 ? manifest.files[manifest.model.variants.fp32] : undefined;
  const int8 = manifest.parity?.variants.int8;
  return {
    model: `${manifest.name}@${manifest.version}`,
    onnxMB: fp32 ? Number((fp32.bytes / 1e6).toFixed(2)) : null,
    parityMaxAbsDiff: manifest.parity?.variants.fp32?.maxAbsDiff ?? null,
    int8Top1Agreement: int8?.top1Agreement ?? null,
  };
}

/** The parity result as the manifest stores it (variants that were checked only). */
function parityForManifest(checked: ParityCheckResult): ParityResult {
  // Interfaces lack the index signature of the manifest's open records; the fields are the same.
  return { ...checked, variants: definedEntries(checked.variants) as ParityResult['variants'] };
}

function definedEntries<T>(record: Partial<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter((e): e is [string, T] => e[1] !== undefined));
}

function requireInput(ctx: StageContext, stage: string): string {
  const dir = ctx.inputs[stage];
  if (!dir) throw new WorkError(`the export stage needs the ${stage} stage output`, { hint: `add ${stage} to stages` });
  return dir;
}

/** sha256 of a local backbone model.json; null for URLs (train.json or model.sha256 carry those). */
async function localWeightsHash(ctx: StageContext): Promise<string | undefined> {
  const weights = ctx.config.model.weights;
  if (isUrl(weights)) return undefined;
  return sha256File(resolvePath(ctx, weights)).catch(() => undefined);
}

