import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';

const run = promisify(execFile);

export const SHARED_MODEL = resolve(
  import.meta.dirname,
  '../../../../shared/models/mobilenet_v2_0.35_224_tm/model.json',
);
export const DATASET = resolve(import.meta.dirname, '../../../../shared/datasets/ph-medicinal-leaf40');

/** Python of the tools venv that .ci/setup.d/40-onnx-checker.sh installs `onnx` into. */
export function toolsPython(): string {
  return join(process.env.PLANTID_TOOLS ?? join(homedir(), '.cache/plantid-tools'), 'venv/bin/python');
}

/** Runs the official ONNX checker (full_check: shape inference too) on each file; rejects naming the first bad one. */
export async function onnxCheck(paths: string[]): Promise<void> {
  const script =
    'import sys, onnx\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(p, full_check=True)\n';
  await run(toolsPython(), ['-c', script, ...paths]).catch((error: Error & { stderr?: string }) => {
    throw new Error(
      `onnx checker failed (run .ci/setup.d/40-onnx-checker.sh if onnx is missing): ${error.stderr ?? error.message}`,
    );
  });
}

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
