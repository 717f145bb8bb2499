/**
 * Train benchmark on ph-medicinal-leaf40 with the shared MobileNetV2-0.35 backbone:
 * embedding throughput per engine next to bare decode + ONNX Runtime, head and fine-tune epoch
 * times, and the whole train stage (first run and cached rerun) with its peak RSS.
 * Run: pnpm --filter @plantid/train bench   (BENCH_QUICK=1 skips the whole-stage runs)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@plantid/core';
import { loadLayersModel, selectTfjsBackend } from '@plantid/engine';
import {
  augmentFromConfig,
  augmentImage,
  prepareAugmentSource,
  preprocessImage,
  specFromConfig,
  viewSeed,
} from '@plantid/preprocess';
import * as tf from '@tensorflow/tfjs';
import {
  buildFeatureExtractor,
  createBackboneEngine,
  embedViews,
  finetuneModel,
  Head,
  headModel,
  smoothedCrossEntropy,
  splitForFinetune,
  trainPhase,
  VectorCache,
} from '../src/index.js';
import { backboneJson, datasetRoot, repoRoot, writeDatasetOutput } from '../test/helpers.js';
import { benchConfig } from './config.js';

const quick = process.env.BENCH_QUICK === '1';
const rows: [string, string, string][] = [];
const row = (what: string, value: string, note = '') => {
  rows.push([what, value, note]);
  process.stderr.write(`  ${what}: ${value} ${note}\n`);
};
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const config = benchConfig();
const spec = specFromConfig(config.preprocess);
const aug = augmentFromConfig(config.augment);
const base = await mkdtemp(join(tmpdir(), 'train-bench-'));
const dataset = await writeDatasetOutput(join(base, 'dataset'), {
  classes: 40,
  perClass: 1000,
  val: 0.15,
  test: 0.15,
});
const records = dataset.records as { id: string; path: string; split: string }[];
const train = records.filter((r) => r.split === 'train');
const sample = train.slice(0, quick ? 64 : 256);
const bytes = await Promise.all(sample.map((r) => readFile(join(datasetRoot, r.path))));
const ex = buildFeatureExtractor(await loadLayersModel(backboneJson), 'auto');
process.stderr.write(
  `train bench: ${records.length} images (${train.length} train), ${sample.length}-image samples, views ${config.augment.views}\n`,
);

// 1. Bare decode + ONNX Runtime: preprocessImage then predict, batch 32, nothing else.
const onnx = await createBackboneEngine(ex.model, { prefer: 'onnx' });
let t = performance.now();
for (let i = 0; i < bytes.length; i += 32) {
  const chunk = bytes.slice(i, i + 32);
  const batch = new Float32Array(chunk.length * 224 * 224 * 3);
  for (const [k, b] of chunk.entries()) batch.set(await preprocessImage(b, spec), k * 224 * 224 * 3);
  await onnx.predict(batch, chunk.length);
}
const bare = bytes.length / ((performance.now() - t) / 1000);
row('bare decode+ONNX Runtime', `${bare.toFixed(1)} img/s`, '(preprocessImage + predict, sequential)');

// 2. The embedding pipeline (clean views) per engine, fresh cache each.
const items = sample.map((r) => ({ id: r.id, path: join(datasetRoot, r.path), views: 0 }));
const embedWith = async (prefer: 'onnx' | 'tfjs', list: typeof items, views = 0) => {
  const cache = await VectorCache.open(await mkdtemp(join(tmpdir(), 'bench-cache-')), ex.dim);
  const engine = prefer === 'onnx' ? onnx : await createBackboneEngine(ex.model, { prefer: 'tfjs' });
  const c0 = cpuNow();
  const report = await embedViews(
    list.map((i) => ({ ...i, views })),
    { spec, aug, seed: 42, targets: [{ cache, engine: async () => engine }] },
  );
  await cache.close();
  return { perSecond: report.computed / report.seconds, cpuMs: (cpuNow() - c0) / report.computed };
};
const pipeOnnx = await embedWith('onnx', items);
row(
  'embedding pipeline, ONNX Runtime',
  `${pipeOnnx.perSecond.toFixed(1)} img/s`,
  `(${(pipeOnnx.perSecond / bare).toFixed(2)}× bare; ${pipeOnnx.cpuMs.toFixed(1)} ms CPU/img)`,
);
const pipeWasm = await embedWith('tfjs', items.slice(0, 32));
row(
  'embedding pipeline, tfjs-wasm',
  `${pipeWasm.perSecond.toFixed(1)} img/s`,
  `(${(pipeWasm.perSecond / bare).toFixed(2)}× bare ONNX; ${(pipeOnnx.perSecond / pipeWasm.perSecond).toFixed(1)}× slower than ONNX)`,
);
const views = await embedWith('onnx', items.slice(0, 64), 2);
row(
  'embedding pipeline, clean + 2 augmented views, ONNX',
  `${views.perSecond.toFixed(1)} views/s`,
  `(${views.cpuMs.toFixed(1)} ms CPU/view)`,
);

// Augmentation alone, per view (decode once, then views).
t = performance.now();
let c0 = cpuNow();
for (const [i, b] of bytes.slice(0, 32).entries()) {
  const source = await prepareAugmentSource(b, spec, aug);
  for (let v = 1; v <= 4; v++) await augmentImage(source, spec, aug, viewSeed(42, String(i), v));
}
row(
  'augmentation (decode once + 4 views)',
  `${((performance.now() - t) / 128).toFixed(1)} ms/view`,
  `(${((cpuNow() - c0) / 128).toFixed(1)} ms CPU/view)`,
);

// 3. Head epoch at the real training size: (1 + views) rows per training image, 1280 features.
await selectTfjsBackend('forward', { env: { ...process.env, PLANTID_BACKEND: 'wasm' } });
const rowsPerEpoch = train.length * (1 + config.augment.views);
const x = new Float32Array(rowsPerEpoch * ex.dim);
for (let i = 0; i < x.length; i++) x[i] = ((i * 2654435761) % 1000) / 250;
const y = Int32Array.from({ length: rowsPerEpoch }, (_, i) => i % 40);
const head = new Head(ex.dim, { dropout: 0.2, hidden: 0, classes: 40, seed: 1 });
c0 = cpuNow();
const result = await trainPhase(
  headModel(head),
  { x, shape: [ex.dim], y },
  { x: x.subarray(0, 750 * ex.dim), shape: [ex.dim], y: y.subarray(0, 750) },
  {
    phase: 'head',
    epochs: 2,
    batchSize: 64,
    lr: 1e-3,
    earlyStoppingPatience: 5,
    plateau: { factor: 0.5, patience: 5 },
    labelSmoothing: 0.1,
    seed: 1,
    checkpointDir: await mkdtemp(join(tmpdir(), 'bench-ckpt-')),
    epochOffset: 0,
    log: createLogger({ level: 'warn' }),
  },
);
const headEpoch = result.seconds / result.epochsRun;
row(
  `head epoch, tfjs-wasm (${rowsPerEpoch} rows × ${ex.dim})`,
  `${headEpoch.toFixed(1)} s`,
  `(${((cpuNow() - c0) / 1000 / 2).toFixed(1)} s CPU; + 750 val rows)`,
);

// 4. Fine-tune steps from cached activations, projected to an epoch: Conv_1 alone (dense-only → wasm) and block_16 + Conv_1 (cpu).
const ftCost = async (blocks: number, backend: 'wasm' | 'cpu') => {
  await selectTfjsBackend(backend === 'wasm' ? 'forward' : 'gradients', {
    env: { ...process.env, PLANTID_BACKEND: backend },
  });
  const split = splitForFinetune(ex, blocks);
  const model = finetuneModel(split, new Head(ex.dim, { dropout: 0.2, hidden: 0, classes: 40, seed: 1 }));
  const n = 16;
  const xa = tf.randomUniform([n, ...split.boundaryShape], 0, 3, 'float32', 1);
  const ya = tf.tensor1d(
    Array.from({ length: n }, (_, i) => i % 40),
    'int32',
  );
  const optimizer = tf.train.adam(1e-4);
  const step = () =>
    tf.dispose(
      optimizer.minimize(
        () => smoothedCrossEntropy(model.logits(xa, 1), ya, 0.1),
        true,
        model.variables,
      ) as tf.Scalar,
    );
  step();
  const t0 = performance.now();
  for (let i = 0; i < 2; i++) step();
  const perSample = (performance.now() - t0) / 1000 / (2 * n);
  row(
    `fine-tune ${split.blocks.join(' + ')}, tfjs-${backend}`,
    `${(perSample * 1000).toFixed(0)} ms/sample`,
    `→ epoch ${((perSample * train.length) / 60).toFixed(1)} min clean views, ${((perSample * rowsPerEpoch) / 60).toFixed(1)} min with views`,
  );
};
await ftCost(1, 'wasm');
await ftCost(2, 'cpu');

// 5. Whole train stage (first run: embeddings computed; rerun: all cached), each in its own process.
if (!quick) {
  const cacheDir = await mkdtemp(join(tmpdir(), 'bench-stage-cache-'));
  const runStage = (label: string) =>
    new Promise<{ wallSeconds: number; maxRssMB: number; summary: Record<string, unknown> }>(
      (resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            '--conditions=@plantid/source',
            '--import',
            'tsx',
            join(import.meta.dirname, 'train-stage-child.ts'),
            join(base, label),
            dataset.dir,
            cacheDir,
          ],
          { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
        );
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
        });
        child.on('error', reject);
        child.on('exit', (code) =>
          code === 0
            ? resolve(JSON.parse(out.trim().split('\n').pop()!))
            : reject(new Error(`train stage exited ${code}`)),
        );
      },
    );
  const first = await runStage('first');
  row(
    'train stage, first run (embeddings computed)',
    `${first.wallSeconds.toFixed(0)} s`,
    `peak RSS ${first.maxRssMB.toFixed(0)} MB; ${JSON.stringify(first.summary)}`,
  );
  const again = await runStage('again');
  row(
    'train stage, rerun (embeddings cached)',
    `${again.wallSeconds.toFixed(0)} s`,
    `peak RSS ${again.maxRssMB.toFixed(0)} MB`,
  );
}
row('bench process peak RSS', `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);

const width = Math.max(...rows.map((r) => r[0].length));
process.stdout.write(
  `\n${rows.map(([a, b, c]) => `${a.padEnd(width)}  ${b.padStart(12)}  ${c}`).join('\n')}\n`,
);
