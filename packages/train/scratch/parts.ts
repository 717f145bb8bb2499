import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createEngine, layersModelToOnnx, loadLayersModel } from '@plantid/engine';
import { augmentImage, prepareAugmentSource, preprocessImage, specFromConfig } from '@plantid/preprocess';
import { buildFeatureExtractor } from '../src/index.js';
import { backboneJson, datasetRoot } from '../test/helpers.js';

const spec = specFromConfig({ size: 224, resize: 'center-crop', normalize: { scale: 127.5, offset: -1 } });
const aug = {
  flip: true,
  rotate: 15,
  crop: [0.6, 1] as [number, number],
  ratio: [0.75, 1.3333] as [number, number],
  colorJitter: 0.2,
};
const dirs = (await readdir(datasetRoot)).sort().slice(0, 4);
const files: Buffer[] = [];
for (const d of dirs)
  for (const f of (await readdir(join(datasetRoot, d))).slice(0, 16))
    files.push(await readFile(join(datasetRoot, d, f)));
const measure = async (label: string, n: number, f: () => Promise<unknown>) => {
  const c = process.cpuUsage();
  const t = performance.now();
  await f();
  const cu = process.cpuUsage(c);
  console.log(
    `${label}: wall ${((performance.now() - t) / n).toFixed(2)} ms/item, cpu ${((cu.user + cu.system) / 1000 / n).toFixed(2)} ms/item`,
  );
};
await measure('clean preprocess (seq)', files.length, async () => {
  for (const b of files) await preprocessImage(b, spec);
});
await measure('clean preprocess (x4 concurrent)', files.length, async () => {
  for (let i = 0; i < files.length; i += 4)
    await Promise.all(files.slice(i, i + 4).map((b) => preprocessImage(b, spec)));
});
const sources = [];
await measure('prepare aug source', files.length, async () => {
  for (const b of files) sources.push(await prepareAugmentSource(b, spec, aug));
});
await measure('aug view', files.length, async () => {
  for (const [i, s] of sources.entries()) await augmentImage(s, spec, aug, i);
});
const model = await loadLayersModel(backboneJson);
const ex = buildFeatureExtractor(model, 'auto');
const batch = new Float32Array(32 * 224 * 224 * 3).map(() => Math.random() * 2 - 1);
for (const threads of [1, 2]) {
  const onnx = await createEngine({ kind: 'onnx', model: layersModelToOnnx(ex.model), threads });
  await onnx.predict(batch, 32);
  await measure(`onnx forward threads=${threads} (batch 32)`, 96, async () => {
    for (let i = 0; i < 3; i++) await onnx.predict(batch, 32);
  });
}
const wasm = await createEngine({ kind: 'tfjs', model: ex.model, backend: 'wasm' });
await wasm.predict(batch, 32);
await measure('tfjs-wasm forward (batch 32)', 32, async () => {
  await wasm.predict(batch, 32);
});
