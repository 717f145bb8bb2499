import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PreprocessSpec, preprocessImage } from '@plantid/preprocess';
import { LEAF40, MOBILENET_JSON } from '../../../test/support/shared.js';

export const SHARED_MODEL = MOBILENET_JSON;
const DATASET = LEAF40;

/** The shared model's input: 224² centre crop scaled to [-1, 1]. */
export const SPEC: PreprocessSpec = {
  version: 1,
  size: 224,
  resize: 'center-crop',
  orient: true,
  colorSpace: 'srgb',
  normalize: { scale: 127.5, offset: -1 },
  layout: 'NHWC',
};

/** `count` real photos, one per class folder in name order, preprocessed into one batch; labels = folder index. */
export async function realBatch(count: number): Promise<{ batch: Float32Array; labels: number[] }> {
  const classes = (await readdir(DATASET, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const per = SPEC.size * SPEC.size * 3;
  const batch = new Float32Array(count * per);
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const dir = classes[i % classes.length] as string;
    const files = (await readdir(join(DATASET, dir))).sort();
    const file = files[Math.floor(i / classes.length)] as string;
    batch.set(await preprocessImage(await readFile(join(DATASET, dir, file)), SPEC), i * per);
    labels.push(i % 2);
  }
  return { batch, labels };
}
