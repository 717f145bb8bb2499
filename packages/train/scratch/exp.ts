// Head experiments on cached embeddings: val+test accuracy for several head settings.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger, selectTfjsBackend } from '@plantid/core';
import { augmentFromConfig, specFromConfig } from '@plantid/preprocess';
import { buildFeatureExtractor, cacheFolder, createBackboneEngine, embedViews, evaluateSamples, hashBackbone, Head, headModel, loadBackboneModel, resolveBackbone, trainPhase, VectorCache, viewKey } from '../src/index.js';
import { backboneJson, datasetRoot, makeConfig } from '../test/helpers.js';
const base = '/tmp/train-full';
const config = makeConfig({ augment: { views: Number(process.env.V ?? 2) } });
const spec = specFromConfig(config.preprocess); const aug = augmentFromConfig(config.augment);
const recs = (await readFile(join(base, 'dataset/manifest.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
const labels = JSON.parse(await readFile(join(base, 'dataset/labels.json'), 'utf8')) as { id: string; index: number }[];
const weightsJ = JSON.parse(await readFile(join(base, 'dataset/class_weights.json'), 'utf8'));
const li = new Map(labels.map((l) => [l.id, l.index]));
const hash = await hashBackbone(backboneJson);
const cache = await VectorCache.open(join('/tmp/train-cache/embeddings', cacheFolder(hash, 'out_relu', 'pooled')), 1280);
const V = config.augment.views;
const items = recs.map((r) => ({ id: r.id, path: join(datasetRoot, r.path), views: r.split === 'train' ? V : 0 }));
const src = await resolveBackbone(backboneJson, { configDir: '/', cacheDir: '/tmp' });
const ex = buildFeatureExtractor(await loadBackboneModel(src), 'auto');
await embedViews(items, { spec, aug, seed: config.seed, targets: [{ cache, engine: () => createBackboneEngine(ex.model, {}) }], log: createLogger() });
await cache.close();
const gather = (split: string, views: number) => {
  const rs = recs.filter((r) => r.split === split);
  const x = new Float32Array(rs.length * (views + 1) * 1280); const y = new Int32Array(rs.length * (views + 1));
  let k = 0;
  for (const r of rs) for (let v = 0; v <= views; v++) { x.set(cache.get(viewKey({ imageId: r.id, spec, aug, seed: config.seed, view: v }))!, k * 1280); y[k++] = li.get(r.labelId)!; }
  return { x, shape: [1280], y };
};
await selectTfjsBackend('forward');
const val = gather('val', 0); const test = gather('test', 0);
const tv = { x: new Float32Array([...val.x, ...test.x]), shape: [1280], y: new Int32Array([...val.y, ...test.y]) };
for (const spec of (process.env.EXPS ?? 'base').split(',')) {
  const o = Object.fromEntries(spec.split(';').filter((p) => p.includes('=')).map((p) => p.split('=')).map(([k, v]) => [k, Number(v)]));
  const views = o.views ?? V;
  const train = gather('train', views);
  const head = new Head(1280, { dropout: o.drop ?? 0.2, hidden: o.hid ?? 0, classes: 40, seed: 42 });
  const t = performance.now(); const c = process.cpuUsage();
  const res = await trainPhase(headModel(head), train, val, { phase: 'head', epochs: o.e ?? 20, batchSize: o.bs ?? 64, lr: o.lr ?? 1e-3, earlyStoppingPatience: o.pat ?? 5, plateau: { factor: 0.5, patience: 2 }, labelSmoothing: o.ls ?? 0.1, classWeights: Float32Array.from(labels, (l) => weightsJ[l.id]), seed: 42, checkpointDir: `/tmp/exp-${Date.now()}`, epochOffset: 0, log: createLogger({ level: 'warn' }) });
  const cu = process.cpuUsage(c);
  const vt = evaluateSamples(headModel(head), tv, 0); const te = evaluateSamples(headModel(head), test, 0); const va = evaluateSamples(headModel(head), val, 0);
  console.log(JSON.stringify({ exp: spec, views, best: res.bestEpoch, run: res.epochsRun, val: va.acc.toFixed(4), test: te.acc.toFixed(4), valtest: vt.acc.toFixed(4), vtloss: vt.loss.toFixed(4), wall: ((performance.now() - t) / 1000).toFixed(0), cpu: ((cu.user + cu.system) / 1e6).toFixed(0) }));
}
