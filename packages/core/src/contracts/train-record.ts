import { z } from 'zod';
import { readJsonContract, writeJsonContract } from './contract-error.js';

export const TRAIN_RECORD_FILE = 'train.json';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex digest');
/** A measured figure; NaN (nothing to measure, e.g. no validation image) is recorded as null. */
const measured = z.preprocess(
  (v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
  z.number().nullable(),
);

const phaseSummarySchema = z.object({
  epochsRun: z.number().int().nonnegative(),
  bestEpoch: z.number().int().nonnegative(),
  bestValLoss: measured,
  bestValAcc: measured,
  stoppedEarly: z.boolean(),
  resumedAfter: z.number().int().nullable(),
  seconds: z.number().nonnegative(),
});

/** `train/train.json`: what was trained from what, and how it went. Export and the model card read it. */
export const trainRecordSchema = z.object({
  /** Artefact name, e.g. `plant_mobilenetv2-0.35_bs64_lr1e-3_e23`. */
  name: z.string().min(1),
  created: z.iso.datetime(),
  seed: z.number().int(),
  hashes: z.object({
    /** hashJson of the config sections train reads. */
    config: sha256Hex,
    /** sha256 of the dataset stage's manifest.jsonl. */
    dataset: sha256Hex,
    /** sha256 over the backbone's model.json and every weight file (its identity in caches and bundles). */
    backbone: sha256Hex,
    /** hashJson of preprocess.json. */
    preprocess: sha256Hex,
  }),
  backbone: z.object({
    /** model.weights as the config gave it (path or URL). */
    given: z.string(),
    /** The local model.json train loaded (the download cache for a URL). */
    modelJson: z.string(),
    family: z.string(),
    featureLayer: z.string(),
    dim: z.number().int().positive(),
    /** Licence of the pretrained weights (config model.license); null = not declared. */
    license: z.string().nullable(),
    /** Where the weights come from (config model.source, else model.weights). */
    source: z.string(),
  }),
  images: z.object({
    train: z.number().int().nonnegative(),
    val: z.number().int().nonnegative(),
    undecodable: z.array(z.object({ id: z.string(), path: z.string(), error: z.string() })),
  }),
  embeddings: z.object({
    views: z.number().int().nonnegative(),
    cached: z.number().int().nonnegative(),
    computed: z.number().int().nonnegative(),
    seconds: z.number().nonnegative(),
    engine: z.string(),
  }),
  backend: z.object({ head: z.string(), finetune: z.string().nullable() }),
  phases: z.object({
    head: phaseSummarySchema,
    finetune: z.union([
      phaseSummarySchema.extend({ blocks: z.array(z.string()), boundaryLayer: z.string() }),
      z.object({ skipped: z.string() }),
    ]),
  }),
  val: z.object({ acc: measured, loss: measured }),
  epochs: z.number().int().nonnegative(),
  seconds: z.number().nonnegative(),
});
export type TrainRecord = z.output<typeof trainRecordSchema>;
export type TrainRecordInput = z.input<typeof trainRecordSchema>;
export type PhaseSummary = z.output<typeof phaseSummarySchema>;

const HINT = 'run the train stage again (pipeline run --from train)';

export function readTrainRecord(path: string): Promise<TrainRecord> {
  return readJsonContract(trainRecordSchema, path, HINT);
}

export function writeTrainRecord(path: string, record: TrainRecordInput): Promise<void> {
  return writeJsonContract(trainRecordSchema, path, record);
}
