import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PreprocessSpec } from '@plantid/core';
import * as tf from '@tensorflow/tfjs';
import type { BundleInput } from '../../src/write.js';
import { tinyOnnxClassifier } from './tiny-onnx.js';

export const labels = [
  { index: 0, id: 'aloe-vera', name: 'Aloe vera' },
  { index: 1, id: 'mentha-cordifolia', name: 'Mentha cordifolia' },
  { index: 2, id: 'psidium-guajava', name: 'Psidium guajava' },
];

export const spec: PreprocessSpec = {
  version: 1,
  size: 4,
  resize: 'center-crop',
  orient: true,
  colorSpace: 'srgb',
  normalize: { scale: 127.5, offset: -1 },
  layout: 'NHWC',
};

export const metrics = { top1: 0.9123, top3: 0.9871, ece: 0.031, calibration: { temperature: 1.37 } };

const madeDirs: string[] = [];

/** A fresh folder under the OS temp dir; removeTempDirs() deletes every one made so far. */
export async function tempDir(prefix = 'plantid-bundle-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  for (const dir of madeDirs.splice(0)) await rm(dir, { recursive: true, force: true });
}

/** A real tfjs layers model (model.json + weights.bin) saved the way tfjs-node's file:// handler does. */
export async function saveTinyTfjsModel(
  dir: string,
  size = spec.size,
  classes = labels.length,
): Promise<string> {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [size, size, 3] }),
      tf.layers.dense({
        units: classes,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }),
      }),
    ],
  });
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      await writeFile(join(dir, 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
  return dir;
}

const hash = (c: string) => c.repeat(64);

export async function bundleInput(work: string, overrides: Partial<BundleInput> = {}): Promise<BundleInput> {
  const fp32 = tinyOnnxClassifier({ size: spec.size, classes: labels.length, seed: 1 });
  return {
    name: 'plant',
    version: 1,
    created: new Date('2025-11-25T10:00:00Z'),
    runId: '20251125-100000-abcd',
    onnx: { fp32, int8: tinyOnnxClassifier({ size: spec.size, classes: labels.length, seed: 2 }) },
    tfjsDir: await saveTinyTfjsModel(join(work, 'tfjs-src')),
    labels,
    preprocess: spec,
    metrics,
    card: '# Model card: plant v1\n',
    hashes: { config: hash('a'), dataset: hash('b'), backbone: hash('c'), model: hash('d') },
    parity: {
      samples: 8,
      passed: true,
      variants: {
        fp32: { maxAbsDiff: 3e-7, top1Agreement: 1, passed: true },
        int8: { maxAbsDiff: 0.02, top1Agreement: 1, passed: true },
      },
    },
    quantization: { int8: { bytes: 400 } },
    ...overrides,
  };
}
