import { z } from 'zod';
import { parseContract, readJsonContract, writeJsonContract } from './contract-error.js';

export const PREPROCESS_FILE = 'preprocess.json';

export const RESIZE_MODES = ['center-crop', 'letterbox', 'stretch'] as const;
export type ResizeMode = (typeof RESIZE_MODES)[number];

const rgb = z.tuple([z.number(), z.number(), z.number()]);

/** `x / scale + offset` (e.g. 127.5, -1 → [-1, 1]) or `(x - mean) / std` per channel, x in 0..255. */
export const normalizeSchema = z.union(
  [
    z.object({ scale: z.number().positive(), offset: z.number() }),
    z.object({
      mean: rgb,
      std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
    }),
  ],
  { error: 'expected { scale > 0, offset } or { mean: [3], std: [3 > 0] }' },
);
export type Normalize = z.infer<typeof normalizeSchema>;

/**
 * One test-time view: the centre region of `crop` × the photo's width and height (1 = the whole
 * photo), resized per the spec, mirrored when `flip`. `{ crop: 1, flip: false }` is the clean input.
 */
export const ttaViewSchema = z.object({
  crop: z.number().gt(0).max(1),
  flip: z.boolean(),
});
export type TtaView = z.infer<typeof ttaViewSchema>;

/**
 * The preprocess.json contract (DESIGN.md), in every train output and bundle: training, evaluation
 * and serving call the same function with it. Version 1 also fixes what the file does not spell
 * out: alpha is flattened onto white, letterbox bars are black, resampling is sharp's lanczos3.
 */
export const preprocessSpecSchema = z.object({
  version: z.literal(1, { error: 'expected 1 (the version this plantid reads)' }),
  size: z.number().int().positive(),
  resize: z.enum(RESIZE_MODES, { error: `expected one of ${RESIZE_MODES.join(', ')}` }),
  orient: z.literal(true),
  colorSpace: z.literal('srgb'),
  normalize: normalizeSchema,
  layout: z.literal('NHWC'),
  /** Views whose probabilities are averaged per photo (evaluation and serving); absent = the clean input only. */
  tta: z.array(ttaViewSchema).min(1).optional(),
});
export type PreprocessSpec = z.infer<typeof preprocessSpecSchema>;

const HINT = 'regenerate it with `pipeline run` or fix the field';

/** Checks a parsed preprocess.json; throws a ContractError naming `file` and the field. */
export function parsePreprocessSpec(value: unknown, file = PREPROCESS_FILE): PreprocessSpec {
  return parseContract(preprocessSpecSchema, value, file, { hint: HINT });
}

export function readPreprocessSpec(path: string): Promise<PreprocessSpec> {
  return readJsonContract(preprocessSpecSchema, path, HINT);
}

export function writePreprocessSpec(path: string, spec: PreprocessSpec): Promise<void> {
  return writeJsonContract(preprocessSpecSchema, path, spec);
}
