import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { LEAF40, MOBILENET_JSON } from '../../../test/support/shared.js';

export const SHARED_MODEL = MOBILENET_JSON;
export const DATASET = LEAF40;

/** `count` real photos from the shared dataset, one per class folder in name order (deterministic). */
export async function realImagePaths(count: number): Promise<string[]> {
  const classes = (await readdir(DATASET, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const paths: string[] = [];
  for (const dir of classes.slice(0, count)) {
    const files = (await readdir(join(DATASET, dir))).sort();
    if (files[0]) paths.push(join(DATASET, dir, files[0]));
  }
  return paths;
}

/** Decodes photos to one NHWC float32 batch in [-1, 1] (centre crop, the shared model's input). */
export async function imageBatch(paths: string[], size = 224): Promise<Float32Array> {
  const batch = new Float32Array(paths.length * size * size * 3);
  for (const [i, path] of paths.entries()) {
    const { data } = await sharp(path)
      .rotate()
      .resize(size, size, { fit: 'cover' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    for (let k = 0; k < data.length; k++) batch[i * size * size * 3 + k] = (data[k] as number) / 127.5 - 1;
  }
  return batch;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

export function argmaxRows(values: Float32Array, n: number): number[] {
  const width = values.length / n;
  return Array.from({ length: n }, (_, r) => {
    let best = 0;
    for (let c = 1; c < width; c++)
      if ((values[r * width + c] as number) > (values[r * width + best] as number)) best = c;
    return best;
  });
}
