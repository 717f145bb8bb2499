import { createLogger, selectTfjsBackend } from '@plantid/core';
import { Head, headModel, trainPhase } from '../src/index.js';

const backend = process.env.B ?? 'cpu';
const tf = await selectTfjsBackend(backend === 'wasm' ? 'forward' : 'gradients', {
  env: { ...process.env, PLANTID_BACKEND: backend },
});
console.log(tf.getBackend());
const n = 2000,
  d = 1280,
  k = 40;
const x = new Float32Array(n * d).map(() => Math.random());
const y = Int32Array.from({ length: n }, (_, i) => i % k);
const head = new Head(d, { dropout: 0.2, hidden: 0, classes: k, seed: 1 });
const t = performance.now();
const c = process.cpuUsage();
await trainPhase(
  headModel(head),
  { x, shape: [d], y },
  { x: x.subarray(0, 200 * d), shape: [d], y: y.subarray(0, 200) },
  {
    phase: 'head',
    epochs: 2,
    batchSize: Number(process.env.BS ?? 64),
    lr: 1e-3,
    earlyStoppingPatience: 5,
    plateau: { factor: 0.5, patience: 2 },
    labelSmoothing: 0.1,
    seed: 1,
    checkpointDir: `/tmp/hb-${Date.now()}`,
    epochOffset: 0,
    log: createLogger({ level: 'info' }),
  },
);
const cu = process.cpuUsage(c);
console.log(
  backend,
  'wall',
  (performance.now() - t).toFixed(0),
  'cpu ms',
  ((cu.user + cu.system) / 1000).toFixed(0),
);
