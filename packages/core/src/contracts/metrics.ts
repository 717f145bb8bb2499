import { z } from 'zod';
import { readJsonContract, writeJsonContract } from './contract-error.js';
import { labelsSchema } from './labels.js';
import { OPEN_SET_SCORES } from './openset.js';

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

/** How well a score tells known photos from negatives: AUROC and the share of negatives let through when 95 % of known photos are. */
export const separationSchema = z.object({
  auroc: z.number().min(0).max(1),
  fprAt95: z.number().min(0).max(1),
  known: z.number().int().nonnegative(),
  unknown: z.number().int().nonnegative(),
});

/** How photos were answered: counts per status; `identifiedRight` only for photos of known classes. */
export const statusCountsSchema = z.object({
  count: z.number().int().nonnegative(),
  identified: z.number().int().nonnegative(),
  identifiedRight: z.number().int().nonnegative().nullable(),
  uncertain: z.number().int().nonnegative(),
  notRecognized: z.number().int().nonnegative(),
});

/** The open-set part of metrics.json: every candidate score, the chosen one, its thresholds, the statuses they give and fusion. */
export const openSetMetricsSchema = z.object({
  score: z.enum(OPEN_SET_SCORES),
  /** `evaluate.openSet.score` as configured, what the choice was made on, and why. */
  choice: z.object({
    configured: z.string(),
    chosenWith: z.enum(['val', 'val+negatives']),
    reason: z.string(),
  }),
  warnings: z.array(z.string()),
  negatives: z.object({
    val: z.number().int().nonnegative(),
    test: z.number().int().nonnegative(),
    groups: z.object({ val: z.array(z.string()), test: z.array(z.string()) }),
  }),
  candidates: z.array(
    z.object({
      score: z.enum(OPEN_SET_SCORES),
      available: z.boolean(),
      note: z.string().nullable(),
      /** Val photos against the val negatives (what the choice reads). */
      val: separationSchema.nullable(),
      /** Test photos against the test negatives (held out from every choice). */
      test: separationSchema.nullable(),
    }),
  ),
  temperature: z.number().positive(),
  thresholds: z.object({ open: z.number(), confidence: z.number() }),
  rule: z.object({
    valKeepsOpen: z.number(),
    valKeepsConfidence: z.number(),
    chosenWith: z.enum(['val', 'val+negatives']),
    negativesNotIdentified: z.number().nullable(),
  }),
  statuses: z.object({
    val: statusCountsSchema,
    test: statusCountsSchema,
    negativesVal: statusCountsSchema.nullable(),
    negativesTest: statusCountsSchema.nullable(),
  }),
  /** Test photos of one class fused in groups (mean of calibrated log-probabilities, mean score). */
  fusion: z.array(
    z.object({
      photos: z.number().int().positive(),
      groups: z.number().int().nonnegative(),
      top1: z.number().nullable(),
      identifiedRight: z.number().nullable(),
      negativeGroups: z.number().int().nonnegative(),
      negativesNotIdentified: z.number().nullable(),
    }),
  ),
  /** Thinned curves of the chosen score: share of known photos kept and of negatives accepted per threshold. */
  curves: z.array(
    z.object({
      score: z.enum(OPEN_SET_SCORES),
      split: z.enum(['val', 'test']),
      points: z.array(
        z.object({ threshold: z.number(), keptKnown: z.number(), acceptedUnknown: z.number() }),
      ),
    }),
  ),
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
  /** Open-set scores and the answer status thresholds; null in metrics written before them. */
  openSet: openSetMetricsSchema.nullable().default(null),
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
export type MetricsFile = z.output<typeof metricsFileSchema>;
export type MetricsFileInput = z.input<typeof metricsFileSchema>;
export type OpenSetMetrics = z.infer<typeof openSetMetricsSchema>;
export type StatusCounts = z.infer<typeof statusCountsSchema>;
export type Separation = z.infer<typeof separationSchema>;

const HINT = 'run the evaluate stage again (pipeline run --from evaluate)';

export function readMetricsFile(path: string): Promise<MetricsFile> {
  return readJsonContract(metricsFileSchema, path, HINT);
}

export function writeMetricsFile(path: string, metrics: MetricsFileInput): Promise<void> {
  return writeJsonContract(metricsFileSchema, path, metrics);
}
