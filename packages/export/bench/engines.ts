/**
 * Latency per image of the shared MobileNetV2-0.35 (backbone → 1280-d embedding, and the full
 * model = backbone + dense head) at batch 1 and 32: ONNX Runtime fp32/fp16/int8, tfjs-wasm,
 * tfjs-cpu, side by side in one run, with ratios to ONNX fp32, plus model sizes.
 * Run: pnpm --filter @plantid/export bench   (PLANTID_BENCH_QUICK=1 for fewer iterations)
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { createEngine, type Engine, type EngineOptions, loadLayersModel } from '@plantid/engine';
import { findLayer, layersModelToOnnx } from '@plantid/onnx-convert';
import { type PreprocessSpec, preprocessImage } from '@plantid/preprocess';
import * as tf from '@tensorflow/tfjs';
import { quantizeVariants } from '../src/quantize/quantize.js';

const ROOT = resolve(import.meta.dirname, '../../../../shared');
const MODEL = join(ROOT, 'models/mobilenet_v2_0.35_224_tm/model.json');
const DATASET = join(ROOT, 'datasets/ph-medicinal-leaf40');
const SPEC: PreprocessSpec = {
  version: 1,
  size: 224,
  resize: 'center-crop',
  orient: true,
  colorSpace: 'srgb',
  normalize: { scale: 127.5, offset: -1 },
  layout: 'NHWC',
};
const QUICK = process.env.PLANTID_BENCH_QUICK === '1';

/** Timed runs per (engine, batch): fast engines get more, tfjs-cpu very few. */
const RUNS: Record<string, Record<number, number>> = {
  onnx: { 1: QUICK ? 20 : 100, 32: QUICK ? 3 : 10 },
  'tfjs-wasm': { 1: QUICK ? 3 : 10, 32: QUICK ? 1 : 3 },
  'tfjs-cpu': { 1: QUICK ? 1 : 3, 32: 1 },
};

async function images(count: number): Promise<Float32Array> {
  const classes = (await readdir(DATASET, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const per = SPEC.size * SPEC.size * 3;
  const batch = new Float32Array(count * per);
  for (let i = 0; i < count; i++) {
    const dir = classes[i % classes.length] as string;
    const file = (await readdir(join(DATASET, dir))).sort()[Math.floor(i / classes.length)] as string;
    batch.set(await preprocessImage(await readFile(join(DATASET, dir, file)), SPEC), i * per);
  }
  return batch;
}

/** Median milliseconds per image over `runs` timed predicts (after one untimed warm-up). */
async function msPerImage(engine: Engine, batch: Float32Array, n: number, runs: number): Promise<number> {
  const x = batch.subarray(0, n * 224 * 224 * 3);
  await engine.predict(x, n);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await engine.predict(x, n);
    times.push(Number(process.hrtime.bigint() - start) / 1e6 / n);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

async function main(): Promise<void> {
  const threads = availableParallelism();
  console.log(
    `plantid engine bench — ${threads} cores, onnxruntime threads ${threads}${QUICK ? ' (quick)' : ''}`,
  );
  const model = await loadLayersModel(MODEL);
  const tfjsWeights = (await stat(join(MODEL, '../weights.bin'))).size;
  const feature = findLayer(model, 'out_relu');
  const backboneTfjs = tf.model({
    inputs: model.inputs,
    outputs: tf.layers
      .globalAveragePooling2d({})
      .apply(feature?.output as tf.SymbolicTensor) as tf.SymbolicTensor,
  });
  const batch = await images(32);

  const subjects = [
    {
      name: 'backbone (1280-d embedding)',
      tfjs: backboneTfjs,
      onnx: layersModelToOnnx(model, { outputLayer: 'out_relu', pooling: 'avg' }),
    },
    { name: 'full model (backbone + dense head)', tfjs: model, onnx: layersModelToOnnx(model) },
  ];
  const rows: string[][] = [];
  for (const subject of subjects) {
    const { onnx: quantized } = await quantizeVariants(subject.onnx, ['fp16', 'int8']);
    const variants: [string, EngineOptions, string][] = [
      ['onnx fp32', { kind: 'onnx', model: subject.onnx, threads }, mb(subject.onnx.byteLength)],
      [
        'onnx fp16',
        { kind: 'onnx', model: quantized.fp16 as Uint8Array, threads },
        mb(quantized.fp16?.byteLength ?? 0),
      ],
      [
        'onnx int8',
        { kind: 'onnx', model: quantized.int8 as Uint8Array, threads },
        mb(quantized.int8?.byteLength ?? 0),
      ],
      [
        'tfjs-wasm',
        { kind: 'tfjs', model: subject.tfjs, backend: 'wasm' },
        `${mb(tfjsWeights)} (weights.bin, whole model)`,
      ],
      [
        'tfjs-cpu',
        { kind: 'tfjs', model: subject.tfjs, backend: 'cpu' },
        `${mb(tfjsWeights)} (weights.bin, whole model)`,
      ],
    ];
    const results: Record<string, Record<number, number>> = {};
    for (const [label, options] of variants) {
      const engine = await createEngine({ ...options, maxBatch: 32 });
      const runs = RUNS[label.startsWith('onnx') ? 'onnx' : label] as Record<number, number>;
      results[label] = {};
      for (const n of [1, 32]) {
        (results[label] as Record<number, number>)[n] = await msPerImage(engine, batch, n, runs[n] as number);
        process.stderr.write(
          `  ${subject.name} · ${label} · batch ${n}: ${(results[label] as Record<number, number>)[n]?.toFixed(2)} ms/image\n`,
        );
      }
      await engine.dispose();
    }
    const base = results['onnx fp32'] as Record<number, number>;
    for (const [label, , size] of variants) {
      const r = results[label] as Record<number, number>;
      rows.push([
        subject.name,
        label,
        (r[1] as number).toFixed(2),
        `${((r[1] as number) / (base[1] as number)).toFixed(1)}×`,
        (r[32] as number).toFixed(2),
        `${((r[32] as number) / (base[32] as number)).toFixed(1)}×`,
        size,
      ]);
    }
  }
  const header = [
    'model',
    'engine',
    'batch 1 ms/img',
    'vs onnx fp32',
    'batch 32 ms/img',
    'vs onnx fp32',
    'model size',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  console.log('median of timed runs after a warm-up; ratios > 1× are slower than ONNX Runtime fp32.');
}

await main();
