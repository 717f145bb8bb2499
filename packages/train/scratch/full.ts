import { createLogger, createProgressFactory } from '@plantid/core';
import { trainModel } from '../src/index.js';
import { makeConfig, makeContext, writeDatasetOutput } from '../test/helpers.js';

const base = process.env.BASE ?? '/tmp/train-full';
const ds = await writeDatasetOutput(`${base}/dataset`, {
  classes: 40,
  perClass: 1000,
  val: 0.15,
  test: 0.15,
});
const config = makeConfig({
  augment: { views: Number(process.env.V ?? 2) },
  model: {
    weights: (await import('../test/helpers.js')).backboneJson,
    backbone: 'mobilenet_v2_0.35',
    head: { dropout: Number(process.env.DROP ?? 0.2), hidden: Number(process.env.HID ?? 0) },
  },
  train: {
    head: {
      epochs: Number(process.env.E ?? 30),
      lr: Number(process.env.LR ?? 1e-3),
      batchSize: Number(process.env.BS ?? 64),
    },
    finetune: { epochs: Number(process.env.FE ?? 0), requireNative: false, blocks: 1 },
    labelSmoothing: Number(process.env.LS ?? 0.1),
  },
});
const ctx = await makeContext(config, {
  base,
  datasetDir: ds.dir,
  cacheDir: '/tmp/train-cache',
  workDir: `${base}/work-${Date.now()}`,
  log: createLogger({ level: 'info' }),
});
ctx.progress = createProgressFactory();
const t = performance.now();
console.log(
  await trainModel(ctx),
  'wall',
  ((performance.now() - t) / 1000).toFixed(1),
  'cpu',
  process.cpuUsage(),
);
