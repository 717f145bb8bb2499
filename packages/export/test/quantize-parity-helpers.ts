import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type PreprocessSpec, preprocessImage } from '@plantid/preprocess';

const run = promisify(execFile);

export const SHARED_MODEL = resolve(
  import.meta.dirname,
  '../../../../shared/models/mobilenet_v2_0.35_224_tm/model.json',
);
const DATASET = resolve(import.meta.dirname, '../../../../shared/datasets/ph-medicinal-leaf40');

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

/** Runs the official ONNX checker (full_check) from the tools venv (.ci/setup.d/40-onnx-checker.sh). */
export async function onnxCheck(paths: string[]): Promise<void> {
  const python = join(
    process.env.PLANTID_TOOLS ?? join(homedir(), '.cache/plantid-tools'),
    'venv/bin/python',
  );
  const script =
    'import sys, onnx\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(p, full_check=True)\n';
  await run(python, ['-c', script, ...paths]).catch((error: Error & { stderr?: string }) => {
    throw new Error(
      `onnx checker failed (run .ci/setup.d/40-onnx-checker.sh if onnx is missing): ${error.stderr ?? error.message}`,
    );
  });
}

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
