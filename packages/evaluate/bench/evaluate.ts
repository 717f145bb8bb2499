/**
 * Evaluation throughput on real photos, ONNX Runtime against tfjs, side by side in one run:
 * a MobileNetV2-0.35 backbone (../shared/models) with a 40-class head scores real leaf photos
 * (../shared/datasets) through the whole evaluate stage (decode, preprocess, predict, metrics,
 * report). The head is untrained, so the figures are speed, not accuracy.
 *   pnpm --filter @plantid/evaluate bench [-- --per-class 3] [--keep <dir>]
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  configSchema,
  createLogger,
  type MetricsFile,
  noopTracker,
  type PlantidConfigInput,
  packSignatures,
  readStageInputs,
  SIGNATURES_FILE,
  silentProgress,
  writeFileAtomic,
  writeJsonAtomic,
  writeTrainRecord,
} from '@plantid/core';
import { loadLayersModel, saveLayersModel } from '@plantid/engine';
import { layersModelToOnnx } from '@plantid/onnx-convert';
import * as tf from '@tensorflow/tfjs';
import { evaluateStage } from '../src/index.js';
import { trainRecord } from '../test/fixture.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { 'per-class': { type: 'string', default: '3' }, keep: { type: 'string' } },
});
const perClass = Number(values['per-class']);
const repo = resolve(import.meta.dirname, '../../..');
const dataRoot = resolve(repo, '../shared/datasets/ph-medicinal-leaf40');
const backbonePath = resolve(repo, '../shared/models/mobilenet_v2_0.35_224_tm/model.json');

const root = await mkdtemp(join(tmpdir(), 'plantid-evaluate-bench-'));
try {
  const classes = (await readdir(dataRoot, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const labels = classes.map((name, index) => ({ index, id: `c${index}`, name }));
  const manifest: Record<string, unknown>[] = [];
  // Random 64-bit hashes and empty detail signatures: the leakage check needs both per record; the
  // manifest has no train split, so the bench measures the check's cost, not a leak.
  let seed = 1;
  const nextDigit = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 16) % 16;
  };
  const hex = () => Array.from({ length: 16 }, () => nextDigit().toString(16)).join('');
  for (const label of labels) {
    const files = (await readdir(join(dataRoot, label.name)))
      .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
      .sort();
    for (const [i, file] of files.slice(0, perClass * 2).entries()) {
      const split = i % 2 ? 'val' : 'test';
      manifest.push({
        id: `${label.id}-${i}`,
        path: `${label.name}/${file}`,
        label: label.name,
        labelId: label.id,
        split,
        phash: hex(),
      });
    }
  }
  const datasetDir = join(root, 'dataset');
  const trainDir = join(root, 'train');
  await mkdir(datasetDir, { recursive: true });
  await writeFile(join(datasetDir, 'manifest.jsonl'), manifest.map((r) => JSON.stringify(r)).join('\n'));
  await writeJsonAtomic(join(datasetDir, 'labels.json'), labels);
  await writeFile(join(datasetDir, SIGNATURES_FILE), packSignatures(manifest.map(() => null)));
  await writeJsonAtomic(
    join(datasetDir, 'class_weights.json'),
    Object.fromEntries(labels.map((l) => [l.id, 1])),
  );

  // Backbone (Teachable Machine's truncated MobileNetV2) + a fresh softmax head over the 40 classes.
  const tm = await loadLayersModel(backbonePath);
  const backbone = tm.layers[0] as tf.LayersModel;
  const input = tf.input({ shape: [224, 224, 3] });
  let x = backbone.apply(input) as tf.SymbolicTensor;
  if (x.shape.length === 4) x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const output = tf.layers
    .dense({
      units: labels.length,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }),
    })
    .apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  await saveLayersModel(model, join(trainDir, 'model'));
  // What the train stage writes beside it: the same model as ONNX, which evaluate runs.
  await writeFileAtomic(join(trainDir, 'model.onnx'), layersModelToOnnx(model));
  await writeTrainRecord(join(trainDir, 'train.json'), trainRecord());
  await writeJsonAtomic(join(trainDir, 'labels.json'), labels);
  await writeJsonAtomic(join(trainDir, 'preprocess.json'), {
    version: 1,
    size: 224,
    resize: 'center-crop',
    orient: true,
    colorSpace: 'srgb',
    normalize: { scale: 127.5, offset: -1 },
    layout: 'NHWC',
  });

  const run = async (kind: 'onnx' | 'tfjs', runId: string) => {
    const overrides: PlantidConfigInput = {
      data: { root: dataRoot },
      model: { weights: backbonePath },
      engine: { kind },
    } as PlantidConfigInput;
    const outDir = join(root, runId, 'evaluate');
    await mkdir(outDir, { recursive: true });
    const start = performance.now();
    const config = configSchema.parse(overrides);
    const inputDirs = { dataset: datasetDir, train: trainDir };
    await evaluateStage.run({
      config,
      configDir: repo,
      runId,
      runDir: join(root, runId),
      outDir,
      workDir: join(root, '.work', runId),
      cacheDir: join(root, '.cache'),
      inputs: await readStageInputs(evaluateStage, inputDirs, { config, configDir: repo }),
      inputDirs,
      log: createLogger({ level: 'warn' }),
      progress: silentProgress,
      tracker: noopTracker,
      signal: new AbortController().signal,
    });
    const seconds = (performance.now() - start) / 1000;
    const metrics = JSON.parse(await readFile(join(outDir, 'metrics.json'), 'utf8')) as MetricsFile;
    return { seconds, metrics, outDir };
  };

  const images = manifest.length;
  console.log(
    `evaluate stage, ${images} real photos (${labels.length} classes), MobileNetV2-0.35 224 + head`,
  );
  const onnx = await run('onnx', '20260101-000000-0001');
  const tfjs = await run('tfjs', '20260101-000000-0002');
  for (const [name, r] of [
    ['onnx', onnx],
    ['tfjs', tfjs],
  ] as const) {
    console.log(
      `  ${name.padEnd(5)} ${r.seconds.toFixed(1).padStart(6)} s  ${(images / r.seconds).toFixed(1).padStart(6)} img/s  (${r.metrics.engine})`,
    );
  }
  console.log(`  onnx is ${(tfjs.seconds / onnx.seconds).toFixed(1)}× faster end to end`);
  const same = JSON.stringify(onnx.metrics.test.confusion) === JSON.stringify(tfjs.metrics.test.confusion);
  console.log(
    `  same confusion matrix on both engines: ${same}; log loss ${onnx.metrics.test.logLoss.toFixed(5)} vs ${tfjs.metrics.test.logLoss.toFixed(5)}`,
  );
  if (values.keep) {
    await cp(onnx.outDir, values.keep, { recursive: true });
    console.log(`  report kept in ${values.keep}`);
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
