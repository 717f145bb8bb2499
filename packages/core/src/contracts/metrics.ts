import { z } from 'zod';
import { readJsonContract, writeJsonContract } from './contract-error.js';
import { labelsSchema } from './labels.js';

export const METRICS_FILE = 'metrics.json';

/** One bin of a reliability diagram: predictions whose confidence falls in (lo, hi]. */
export const reliabilityBinSchema = z.object({
  lo: z.number(),
  hi: z.number(),
  count: z.number().int().nonnegative(),
  /** Mean confidence (top probability) in the bin; null when empty. */
  confidence: z.number().nullable(),
  /** Share of correct predictions in the bin; null when empty. */
  accuracy: z.number().nullable(),
});

const averagedSchema = z.object({ precision: z.number(), recall: z.number(), f1: z.number() });

/** scikit-learn classification_report conventions: precision of a class never predicted is 0. */
export const classMetricsSchema = averagedSchema.extend({
  index: z.number().int().nonnegative(),
  support: z.number().int().nonnegative(),
});

/** Everything metrics.json holds about one split (test or val). */
export const splitMetricsSchema = z.object({
  count: z.number().int().nonnegative(),
  top1: z.number(),
  /** Top-k accuracy per configured k, keyed by k. */
  topK: z.record(z.string(), z.number()),
  /** Mean cross-entropy of the true class. */
  logLoss: z.number(),
  perClass: z.array(classMetricsSchema.extend({ id: z.string(), name: z.string() })),
  macro: averagedSchema,
  weighted: averagedSchema,
  /** `confusion[actual][predicted]`, in labels.json order. */
  confusion: z.array(z.array(z.number().int().nonnegative())),
  mostConfused: z.array(z.object({ actual: z.string(), predicted: z.string(), count: z.number().int() })),
  ece: z.number(),
  reliability: z.array(reliabilityBinSchema),
  /** After dividing logits by the temperature fitted on val. */
  eceCalibrated: z.number(),
  reliabilityCalibrated: z.array(reliabilityBinSchema),
});

export const gateCheckSchema = z.object({
  /** Config key of the threshold, e.g. `evaluate.gate.top1`. */
  key: z.string(),
  /** What was measured, e.g. `test top-1` or `recall of "Lagundi"`. */
  what: z.string(),
  threshold: z.number(),
  actual: z.number(),
  /** `min` thresholds need actual ≥ threshold, `max` need actual ≤ threshold. */
  kind: z.enum(['min', 'max']),
  passed: z.boolean(),
  /** How far off a failed check is (positive), 0 when passed. */
  shortfall: z.number(),
});

export const gateResultSchema = z.object({ passed: z.boolean(), checks: z.array(gateCheckSchema) });

/** A test image that is an exact or near duplicate of a training image. */
export const leakPairSchema = z.object({
  test: z.string(),
  train: z.string(),
  /** pHash Hamming distance (0 for exact duplicates). */
  distance: z.number().int().nonnegative(),
  /** Fine-detail correlation (1 for exact duplicates). */
  detail: z.number(),
});

/** `evaluate/metrics.json`: what export bundles and serving reads (`calibration.temperature`). */
export const metricsFileSchema = z.object({
  version: z.literal(1),
  created: z.iso.datetime(),
  runId: z.string(),
  /** What ran the model, e.g. 'onnxruntime-node 1.23.0 cpu (2 threads)'. */
  engine: z.string(),
  labels: labelsSchema,
  topK: z.array(z.number().int().positive()),
  test: splitMetricsSchema,
  val: splitMetricsSchema,
  calibration: z.object({
    /** Divide the model's logits (log-probabilities) by this before softmax. */
    temperature: z.number().positive(),
    fittedOn: z.literal('val'),
    bins: z.number().int().positive(),
    ece: z.object({
      test: z.object({ before: z.number(), after: z.number() }),
      val: z.object({ before: z.number(), after: z.number() }),
    }),
  }),
  gate: gateResultSchema,
  leakage: z.object({
    checked: z.number().int().nonnegative(),
    radius: z.number().int().nonnegative(),
    unhashed: z.number().int().nonnegative(),
    pairs: z.array(leakPairSchema),
  }),
  skipped: z.array(z.object({ path: z.string(), reason: z.string() })),
  previous: z
    .object({ runId: z.string(), sameConfig: z.boolean(), testTop1: z.number(), testMacroF1: z.number() })
    .nullable(),
});

export type ReliabilityBin = z.infer<typeof reliabilityBinSchema>;
export type AveragedMetrics = z.infer<typeof averagedSchema>;
export type ClassMetrics = z.infer<typeof classMetricsSchema>;
export type SplitMetrics = z.infer<typeof splitMetricsSchema>;
export type GateCheck = z.infer<typeof gateCheckSchema>;
export type GateResult = z.infer<typeof gateResultSchema>;
export type LeakPair = z.infer<typeof leakPairSchema>;
export type MetricsFile = z.infer<typeof metricsFileSchema>;

const HINT = 'run the evaluate stage again (pipeline run --from evaluate)';

export function readMetricsFile(path: string): Promise<MetricsFile> {
  return readJsonContract(metricsFileSchema, path, HINT);
}

export function writeMetricsFile(path: string, metrics: MetricsFile): Promise<void> {
  return writeJsonContract(metricsFileSchema, path, metrics);
}
