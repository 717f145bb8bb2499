import { createLogger } from '@plantid/core';
import { trainModel } from '../src/index.js';
import { makeConfig, makeContext, writeDatasetOutput } from '../test/helpers.js';

const base = '/tmp/train-smoke';
const ds = await writeDatasetOutput(`${base}/dataset`, {
  classes: Number(process.env.C ?? 5),
  perClass: Number(process.env.N ?? 20),
  val: 0.2,
});
const config = makeConfig({
  augment: { views: Number(process.env.V ?? 1) },
  train: {
    head: { epochs: Number(process.env.E ?? 5) },
    finetune: { epochs: Number(process.env.FE ?? 0), requireNative: false },
  },
});
const ctx = await makeContext(config, {
  base,
  datasetDir: ds.dir,
  cacheDir: process.env.CACHE ?? `${base}/cache`,
  log: createLogger({ level: 'info' }),
});
ctx.progress = (await import('@plantid/core')).createProgressFactory();
console.log(await trainModel(ctx));
