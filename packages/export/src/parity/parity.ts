import { type Logger, WorkError } from '@plantid/core';
import { createEngine, type Engine } from '@plantid/engine';
import { averageViews } from '@plantid/preprocess';
import type * as tf from '@tensorflow/tfjs';
import { absDiff, agreement, top1 } from './metrics.js';

export type ParityVariant = 'fp32' | 'fp16' | 'int8';

export interface ParityThresholds {
  /** fp32 only: largest allowed |onnx - tfjs| over all outputs. */
  fp32MaxAbsDiff: number;
  /** fp32: share of images whose top-1 must agree with tfjs. */
  fp32Top1: number;
  /** fp16/int8: share of images whose top-1 must agree with tfjs. */
  quantizedTop1: number;
}

export const DEFAULT_PARITY_THRESHOLDS: ParityThresholds = {
  fp32MaxAbsDiff: 1e-4,
  fp32Top1: 1,
  quantizedTop1: 0.99,
};

export interface VariantParityResult {
  maxAbsDiff: number;
  meanAbsDiff: number;
  /** Share of images whose top-1 class agrees with tfjs (0..1). */
  top1Agreement: number;
  /** Top-1 accuracy against the true labels, when labels were given. */
  accuracy?: number;
  /** accuracy − tfjs accuracy (negative = the variant lost accuracy). */
  accuracyChange?: number;
  passed: boolean;
  /** The rule it was held to, e.g. 'max abs diff ≤ 1e-4 and top-1 agreement ≥ 100 %'. */
  rule: string;
}

export interface ParityCheckResult {
  samples: number;
  passed: boolean;
  reference: string;
  /** The test-time views averaged per image before comparing (absent: the clean input alone). */
  views?: string[];
  /** tfjs top-1 accuracy on the samples, when labels were given. */
  referenceAccuracy?: number;
  variants: Partial<Record<ParityVariant, VariantParityResult>>;
}

export interface ParityInput {
  /** The tfjs model (reference): loaded, or a model.json path. */
  model: tf.LayersModel | string;
  /** ONNX variants to check: bytes or .onnx paths. */
  onnx: Partial<Record<ParityVariant, Uint8Array | string>>;
  /** `n` images × `views`, preprocessed NHWC float32, concatenated (the caller preprocesses with the bundle's spec). */
  batch: Float32Array;
  n: number;
  /** Test-time views per image (consecutive inputs); outputs are averaged per image as serving does. Default 1. */
  views?: number;
  /** Their names, recorded in the result. */
  viewNames?: string[];
  /** True class index per image, to report each variant's accuracy change. */
  labels?: readonly number[];
  threads?: number;
  thresholds?: Partial<ParityThresholds>;
  log?: Logger;
}

const percent = (x: number) => `${(x * 100).toFixed(x === 1 ? 0 : 1)} %`;

/**
 * Runs the same real images through tfjs and every ONNX variant in ONNX Runtime and compares:
 * fp32 must match within 1e-4 with 100 % top-1 agreement, fp16/int8 need ≥ 99 % top-1 agreement.
 * Returns the result (stored in the bundle manifest); `assertParity` turns a failure into exit 1.
 */
export async function checkVariantParity(input: ParityInput): Promise<ParityCheckResult> {
  const thresholds = { ...DEFAULT_PARITY_THRESHOLDS, ...input.thresholds };
  const { batch, n, labels } = input;
  const views = input.views ?? 1;
  const reference = await createEngine({ kind: 'tfjs', model: input.model, warmUp: false });
  let expected: Float32Array;
  try {
    expected = averageViews(await predictInChunks(reference, batch, n * views), views, reference.outputSize);
  } finally {
    await reference.dispose();
  }
  const expectedTop1 = top1(expected, n);
  const referenceAccuracy = labels ? agreement(expectedTop1, labels) : undefined;
  const result: ParityCheckResult = {
    samples: n,
    passed: true,
    reference: reference.description,
    variants: {},
  };
  if (referenceAccuracy !== undefined) result.referenceAccuracy = referenceAccuracy;
  if (views > 1 && input.viewNames) result.views = input.viewNames;

  for (const [variant, model] of Object.entries(input.onnx) as [ParityVariant, Uint8Array | string][]) {
    let engine: Engine | undefined;
    let actual: Float32Array;
    try {
      engine = await createEngine({ kind: 'onnx', model, threads: input.threads ?? 0, warmUp: false });
      actual = averageViews(await predictInChunks(engine, batch, n * views), views, engine.outputSize);
    } finally {
      await engine?.dispose();
    }
    const diff = absDiff(actual, expected);
    const actualTop1 = top1(actual, n);
    const top1Agreement = agreement(actualTop1, expectedTop1);
    const isFp32 = variant === 'fp32';
    const minTop1 = isFp32 ? thresholds.fp32Top1 : thresholds.quantizedTop1;
    const passed = top1Agreement >= minTop1 && (!isFp32 || diff.max <= thresholds.fp32MaxAbsDiff);
    const rule = isFp32
      ? `max abs diff ≤ ${thresholds.fp32MaxAbsDiff} and top-1 agreement ≥ ${percent(minTop1)}`
      : `top-1 agreement ≥ ${percent(minTop1)}`;
    const entry: VariantParityResult = {
      maxAbsDiff: diff.max,
      meanAbsDiff: diff.mean,
      top1Agreement,
      passed,
      rule,
    };
    if (labels && referenceAccuracy !== undefined) {
      entry.accuracy = agreement(actualTop1, labels);
      entry.accuracyChange = entry.accuracy - referenceAccuracy;
    }
    result.variants[variant] = entry;
    result.passed &&= passed;
    input.log?.info(
      `parity ${variant}: max abs diff ${diff.max.toExponential(2)}, top-1 agreement ${percent(top1Agreement)} on ${n} images — ${passed ? 'ok' : `FAILED (${rule})`}`,
    );
  }
  return result;
}

/** Predicts `count` inputs in batches of at most 512 (a few views × 512 photos at once would be GBs of activations). */
async function predictInChunks(engine: Engine, batch: Float32Array, count: number): Promise<Float32Array> {
  const per = batch.length / count;
  const chunk = 512;
  if (count <= chunk) return engine.predict(batch, count);
  const out = new Float32Array(count * engine.outputSize);
  for (let i = 0; i < count; i += chunk) {
    const m = Math.min(chunk, count - i);
    out.set(await engine.predict(batch.subarray(i * per, (i + m) * per), m), i * engine.outputSize);
  }
  return out;
}

/** Throws WorkError (exit 1) naming each failing variant and its numbers. */
export function assertParity(result: ParityCheckResult, where?: string): void {
  if (result.passed) return;
  const failed = Object.entries(result.variants)
    .filter(([, v]) => v && !v.passed)
    .map(
      ([name, v]) =>
        `${name} (max abs diff ${v?.maxAbsDiff.toExponential(2)}, top-1 agreement ${percent(v?.top1Agreement ?? 0)}; needs ${v?.rule})`,
    );
  throw new WorkError(`ONNX parity check failed on ${result.samples} images: ${failed.join(', ')}`, {
    ...(where ? { where } : {}),
    hint: 'drop the failing variant from export.quantize, or report the model (its layer mix) as a converter bug',
  });
}
