import { join } from 'node:path';
import type { OnnxVariant } from '@plantid/bundle';
import {
  type BundleManifest,
  type ParityResult,
  type StageContext,
  type TrainOutput,
  WorkError,
  writeJsonAtomic,
} from '@plantid/core';
import { layersModelToOnnx, servedOutputs } from '@plantid/onnx-convert';
import { specViews, viewName } from '@plantid/preprocess';
import type * as tf from '@tensorflow/tfjs';
import type { DatasetRecord } from '../card/data-summary.js';
import { assertParity, checkVariantParity, type ParityCheckResult } from '../parity/parity.js';
import { quantizeVariants } from '../quantize/quantize.js';
import { loadParityBatch, pickParityRecords } from './parity-images.js';

export interface CheckedOnnx {
  onnx: Partial<Record<OnnxVariant, Uint8Array>>;
  quantization: BundleManifest['quantization'];
  parity: ParityResult;
}

/**
 * Converts the trained model to ONNX, makes the configured quantised variants and checks every
 * variant against tfjs on real dataset photos. Throws WorkError (exit 1) when parity fails,
 * leaving the figures in `workDir/parity.json`; on success also writes `outDir/parity.json`.
 */
export async function buildCheckedOnnx(
  ctx: StageContext<unknown>,
  model: tf.LayersModel,
  train: TrainOutput,
  records: readonly (DatasetRecord & { file: string })[],
): Promise<CheckedOnnx> {
  const { config, log } = ctx;
  const fp32 = layersModelToOnnx(model, { name: config.model.name, ...servedOutputs(model) });
  log.info(`converted to ONNX: ${(fp32.byteLength / 1e6).toFixed(2)} MB`);
  const quantized = await quantizeVariants(fp32, config.export.quantize, log);
  const onnx: CheckedOnnx['onnx'] = { fp32, ...quantized.onnx };

  const wanted = config.export.parity.samples;
  const picked = pickParityRecords(records, wanted);
  if (picked.length === 0) {
    throw new WorkError('the dataset has no usable images to check parity on', {
      where: 'dataset/manifest.jsonl',
      hint: 'rerun the dataset stage: every image was excluded',
    });
  }
  if (picked.length < wanted)
    log.warn(`parity on ${picked.length} images: fewer usable than export.parity.samples (${wanted})`);
  const bar = ctx.progress('parity images', picked.length, 'images');
  let batch: Float32Array;
  try {
    batch = await loadParityBatch(
      picked,
      train.preprocess,
      (r) => r.file,
      () => {
        if (ctx.signal.aborted)
          throw new WorkError('interrupted while loading parity images', { where: 'export' });
        bar.tick();
      },
    );
  } finally {
    bar.stop();
  }

  const labelIndex = new Map(train.labels.map((l) => [l.id, l.index]));
  const checked = await checkVariantParity({
    model,
    onnx,
    batch,
    n: picked.length,
    views: specViews(train.preprocess).length,
    viewNames: specViews(train.preprocess).map(viewName),
    labels: picked.map((r) => labelIndex.get(r.labelId) ?? -1),
    threads: config.engine.threads,
    log,
  });
  const parity = parityForManifest(checked);
  if (!parity.passed) {
    const report = join(ctx.workDir, 'parity.json');
    await writeJsonAtomic(report, parity);
    assertParity(checked, report);
  }
  await writeJsonAtomic(join(ctx.outDir, 'parity.json'), parity);
  return { onnx, quantization: definedEntries(quantized.report), parity };
}

/** The parity result as the manifest stores it (variants that were checked only). */
function parityForManifest(checked: ParityCheckResult): ParityResult {
  return { ...checked, variants: definedEntries(checked.variants) };
}

function definedEntries<T>(record: Partial<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter((e): e is [string, T] => e[1] !== undefined));
}
