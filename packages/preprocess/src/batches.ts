import { readFile } from 'node:fs/promises';
import { mapOrdered, type PreprocessSpec } from '@plantid/core';
import { ImageDecodeError } from './errors.js';
import { preprocessImage } from './preprocess-image.js';

export interface BatchOptions<T> {
  batchSize: number;
  /** Images being read and decoded at once, ahead of the consumer; default 8. */
  concurrency?: number;
  /** Turns an item into encoded bytes; default: a string is a file path, a Uint8Array is the bytes. */
  read?: (item: T) => Promise<Uint8Array>;
  /** Bytes → tensor of size×size×3; default `preprocessImage(bytes, spec)`. Augmentation plugs in here. */
  transform?: (bytes: Uint8Array, item: T, index: number) => Promise<Float32Array>;
  /** 'throw' (default) stops at the first undecodable image; 'skip' leaves it out and reports it. */
  onError?: 'throw' | 'skip';
}

export interface PreprocessedBatch<T> {
  /** Items in this batch, in input order, without skipped ones. */
  items: T[];
  /** `count` images, NHWC float32, `count * size * size * 3` values. */
  tensor: Float32Array;
  count: number;
  skipped: { item: T; error: ImageDecodeError }[];
}

type Outcome<T> = { item: T; tensor: Float32Array } | { item: T; error: ImageDecodeError };

async function defaultRead(item: unknown): Promise<Uint8Array> {
  if (typeof item === 'string') return readFile(item);
  if (item instanceof Uint8Array) return item;
  throw new TypeError('preprocessBatches: give a `read` function for items that are not paths or bytes');
}

/**
 * Streams items (paths, bytes or anything `read` understands) through preprocessing into
 * batches of at most `batchSize` images, decoding a few ahead while the caller works on a batch.
 */
export async function* preprocessBatches<T>(
  items: Iterable<T> | AsyncIterable<T>,
  spec: PreprocessSpec,
  options: BatchOptions<T>,
): AsyncGenerator<PreprocessedBatch<T>> {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize <= 0)
    throw new RangeError('batchSize must be a positive integer');
  const read = options.read ?? defaultRead;
  const transform =
    options.transform ??
    ((bytes: Uint8Array, item: T) => preprocessImage(bytes, spec, { where: whereOf(item) }));
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const skip = options.onError === 'skip';
  const per = spec.size * spec.size * 3;

  const process = async (item: T, i: number): Promise<Outcome<T>> => {
    try {
      return { item, tensor: await transform(await read(item), item, i) };
    } catch (error) {
      if (skip && error instanceof ImageDecodeError) return { item, error };
      throw error;
    }
  };

  let batch: Outcome<T>[] = [];
  const flush = (): PreprocessedBatch<T> => {
    const ok = batch.filter((o): o is { item: T; tensor: Float32Array } => 'tensor' in o);
    const tensor = new Float32Array(ok.length * per);
    for (const [k, o] of ok.entries()) tensor.set(o.tensor, k * per);
    const skipped = batch.filter((o): o is { item: T; error: ImageDecodeError } => 'error' in o);
    batch = [];
    return { items: ok.map((o) => o.item), tensor, count: ok.length, skipped };
  };
  for await (const outcome of mapOrdered(items, process, concurrency)) {
    batch.push(outcome);
    if (batch.length === batchSize) yield flush();
  }
  if (batch.length) yield flush();
}

function whereOf(item: unknown): string | undefined {
  return typeof item === 'string' ? item : undefined;
}
