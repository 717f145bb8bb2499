import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { decodeFloat16 } from '../helpers/float16.js';
import { ContractError, readJsonContract, writeJsonContract } from './contract-error.js';

/**
 * The open-set contract ("not sure" / "not a plant I know"): which score, its parameters and the two
 * thresholds of the answer status. Evaluate fits it (`openset.json` + the files it names), export
 * copies it into the bundle, serving applies it through `OpenSetScorer` and `answerStatus`.
 */
export const OPEN_SET_FILE = 'openset.json';
/** L2-normalised clean-view train embeddings, float16 rows (train output and bundle). */
export const OPEN_SET_BANK_FILE = 'openset-bank.f16';
/** The train stage's description of the bank: shape and the label of every row. */
export const OPEN_SET_BANK_META_FILE = 'openset-bank.json';
/** The shared covariance's Cholesky factor L (dim × dim, row-major) then the whitened class means L⁻¹μ (classes × dim), float32. */
export const OPEN_SET_MAHALANOBIS_FILE = 'openset-mahalanobis.f32';

export const OPEN_SET_SCORES = ['knn-cosine', 'mahalanobis', 'msp', 'energy'] as const;
export type OpenSetScoreName = (typeof OPEN_SET_SCORES)[number];

/** Output names of the graph train writes for evaluate and export puts in bundles. */
export const MODEL_OUTPUTS = {
  /** Softmax probabilities in labels.json order (the first output; what `predict` returns by default). */
  probabilities: 'probabilities',
  /** The pooled backbone features the head reads. */
  embedding: 'embedding',
  /** The head's last layer before softmax. */
  logits: 'logits',
} as const;

/** Layers of the trained tfjs model those outputs are taken from (see train's assembleModel). */
export const MODEL_LAYERS = {
  /** The embedding is the input of this (nested) layer: the classifier head. */
  head: 'head',
  /** The logits are this Dense layer's output before its softmax. */
  classifier: 'head_output',
} as const;

const positiveInt = z.number().int().positive();

export const bankMetaSchema = z.object({
  version: z.literal(1),
  file: z.literal(OPEN_SET_BANK_FILE),
  rows: positiveInt,
  dim: positiveInt,
  dtype: z.literal('float16'),
  normalize: z.literal('l2'),
  fittedOn: z.string(),
  /** labels.json index of every row. */
  labels: z.array(z.number().int().nonnegative()),
});
export type BankMeta = z.infer<typeof bankMetaSchema>;

export const openSetParamsSchema = z
  .object({
    version: z.literal(1),
    score: z.enum(OPEN_SET_SCORES),
    /** Neighbours averaged (knn-cosine). */
    k: positiveInt.default(1),
    /** The graph output the score reads, when it reads the embedding. */
    embedding: z
      .object({ output: z.string().min(1), dim: positiveInt, normalize: z.literal('l2') })
      .nullable(),
    bank: z
      .object({
        file: z.literal(OPEN_SET_BANK_FILE),
        rows: positiveInt,
        dim: positiveInt,
        dtype: z.literal('float16'),
        fittedOn: z.string(),
      })
      .nullable(),
    mahalanobis: z
      .object({
        file: z.literal(OPEN_SET_MAHALANOBIS_FILE),
        dim: positiveInt,
        classes: positiveInt,
        dtype: z.literal('float32'),
        shrinkage: z.number().min(0).max(1),
        fittedOn: z.string(),
      })
      .nullable(),
    /** Softmax temperature (evaluate's calibration): confidences and msp/energy use it. */
    temperature: z.number().positive(),
    thresholds: z.object({
      /** Below this score the answer is `not_recognized` (the score's units; higher = more like the known classes). */
      open: z.number(),
      /** At or above this top-1 confidence (past the open threshold) the answer is `identified`. */
      confidence: z.number().min(0).max(1),
    }),
    rule: z.object({
      valKeepsOpen: z.number().min(0).max(1),
      valKeepsConfidence: z.number().min(0).max(1),
      chosenWith: z.enum(['val', 'val+negatives']),
      /** Share of the val negatives answered not identified at these thresholds; null without negatives. */
      negativesNotIdentified: z.number().min(0).max(1).nullable(),
    }),
  })
  .superRefine((p, ctx) => {
    if (p.score === 'knn-cosine' && (!p.bank || !p.embedding))
      ctx.addIssue({ code: 'custom', path: ['bank'], message: 'knn-cosine needs bank and embedding' });
    if (p.score === 'mahalanobis' && (!p.mahalanobis || !p.embedding))
      ctx.addIssue({
        code: 'custom',
        path: ['mahalanobis'],
        message: 'mahalanobis needs its file and embedding',
      });
  });
export type OpenSetParams = z.output<typeof openSetParamsSchema>;
export type OpenSetParamsInput = z.input<typeof openSetParamsSchema>;

/** The files an openset.json names besides itself (relative to its folder). */
export function openSetFiles(params: OpenSetParams): string[] {
  const files: (string | undefined)[] = [params.bank?.file, params.mahalanobis?.file];
  return files.filter((f): f is string => f !== undefined);
}

export function readOpenSetParams(path: string, hint?: string): Promise<OpenSetParams> {
  return readJsonContract(openSetParamsSchema, path, hint);
}

export function writeOpenSetParams(path: string, params: OpenSetParamsInput): Promise<void> {
  return writeJsonContract(openSetParamsSchema, path, params);
}

export function readBankMeta(path: string, hint?: string): Promise<BankMeta> {
  return readJsonContract(bankMetaSchema, path, hint);
}

export function writeBankMeta(path: string, meta: BankMeta): Promise<void> {
  return writeJsonContract(bankMetaSchema, path, meta);
}

/** A float16 file of exactly `count` values, as float32; a size mismatch is a ContractError. */
export async function readFloat16File(path: string, count: number, hint?: string): Promise<Float32Array> {
  const bytes = await readBinary(path, hint);
  if (bytes.byteLength !== count * 2)
    throw new ContractError(
      path,
      '(file)',
      `expected ${count} float16 values (${count * 2} bytes), holds ${bytes.byteLength} bytes`,
      { hint },
    );
  return decodeFloat16(bytes);
}

/** A little-endian float32 file of exactly `count` values. */
export async function readFloat32File(path: string, count: number, hint?: string): Promise<Float32Array> {
  const bytes = await readBinary(path, hint);
  if (bytes.byteLength !== count * 4)
    throw new ContractError(
      path,
      '(file)',
      `expected ${count} float32 values (${count * 4} bytes), holds ${bytes.byteLength} bytes`,
      { hint },
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** float32 values as little-endian bytes. */
export function float32Bytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return out;
}

async function readBinary(path: string, hint?: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (cause) {
    throw new ContractError(path, '(file)', 'expected the file to exist', { hint, cause });
  }
}
