import { z } from 'zod';

// The bundle's `manifest.json` contract; `@plantid/bundle` reads it (verifying every file's hash) and writes it.

/** Bumped when a reader of the previous version could misread a new bundle. */
export const BUNDLE_SCHEMA_VERSION = 1;
export const BUNDLE_FORMAT = 'plantid-bundle';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex digest');

export const bundleFileEntrySchema = z.strictObject({
  sha256: sha256Hex,
  bytes: z.number().int().nonnegative(),
});

/** One variant's parity against the tfjs model on real test images (fields of the parity check's result). */
export const variantParitySchema = z.object({
  /** Largest absolute difference between tfjs and ONNX probabilities. */
  maxAbsDiff: z.number(),
  meanAbsDiff: z.number().optional(),
  /** Share of images whose top-1 class agrees with tfjs (0..1). */
  top1Agreement: z.number().min(0).max(1),
  /** Top-1 accuracy against the true labels of the parity images, and its change vs tfjs. */
  accuracy: z.number().optional(),
  accuracyChange: z.number().optional(),
  passed: z.boolean(),
  /** The rule it was held to, e.g. 'top-1 agreement ≥ 99 %'. */
  rule: z.string().optional(),
});

export const parityResultSchema = z.object({
  samples: z.number().int().nonnegative(),
  passed: z.boolean(),
  /** What ran the reference, e.g. 'tfjs wasm'. */
  reference: z.string().optional(),
  /** Test-time views averaged per image before comparing (names such as c, z80); absent = clean only. */
  views: z.array(z.string()).optional(),
  referenceAccuracy: z.number().optional(),
  variants: z.record(z.string(), variantParitySchema),
});

/** Size and method of a quantised variant, as the quantiser reported it. */
export const quantizationEntrySchema = z.object({
  bytes: z.number().int().nonnegative(),
  sizeRatio: z.number().optional(),
  method: z.string().optional(),
  tensors: z.number().int().optional(),
});

export const bundleManifestSchema = z.strictObject({
  schemaVersion: z.literal(BUNDLE_SCHEMA_VERSION),
  format: z.literal(BUNDLE_FORMAT),
  name: z.string().min(1),
  /** Positive integer, TF Serving style: `models/<name>/<version>/`, highest = newest. */
  version: z.number().int().positive(),
  created: z.iso.datetime(),
  producer: z.strictObject({ name: z.string(), version: z.string() }),
  hashes: z.strictObject({
    /** hashJson of the whole resolved config. */
    config: sha256Hex,
    /** sha256 of the dataset stage's manifest.jsonl. */
    dataset: sha256Hex,
    /** train.json's hash of the pretrained backbone (model.json and its weight files); null when unknown. */
    backbone: sha256Hex.nullable(),
    /** Content hash of the trained tfjs model folder. */
    model: sha256Hex,
  }),
  runId: z.string().nullable(),
  /** Where the pretrained weights came from and under which licence (train.json); absent in bundles made without train. */
  backbone: z
    .strictObject({ family: z.string(), source: z.string(), license: z.string().nullable() })
    .optional(),
  model: z.strictObject({
    inputShape: z.tuple([z.null(), z.number().int(), z.number().int(), z.literal(3)]),
    layout: z.literal('NHWC'),
    outputSize: z.number().int().positive(),
    /** Variant → file, only the ones present. */
    variants: z.partialRecord(z.enum(['fp32', 'fp16', 'int8', 'tfjs']), z.string()),
  }),
  parity: parityResultSchema.nullable(),
  /** Size and measured change of each quantised variant, as the quantiser reported it. */
  quantization: z.record(z.string(), quantizationEntrySchema),
  /** Every file of the bundle except manifest.json itself. */
  files: z.record(z.string(), bundleFileEntrySchema),
});

export type BundleManifest = z.infer<typeof bundleManifestSchema>;
export type BundleFileEntry = z.infer<typeof bundleFileEntrySchema>;
export type ParityResult = z.infer<typeof parityResultSchema>;
export type VariantParity = z.infer<typeof variantParitySchema>;
