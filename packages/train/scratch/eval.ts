import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createEngine, layersModelToOnnx, loadLayersModel } from '@plantid/engine';
import { parseSpec, preprocessBatches } from '@plantid/preprocess';
import { datasetRoot } from '../test/helpers.js';

const [outDir, datasetDir] = process.argv.slice(2);
const spec = parseSpec(JSON.parse(await readFile(join(outDir!, 'preprocess.json'), 'utf8')));
const labels = JSON.parse(await readFile(join(outDir!, 'labels.json'), 'utf8')) as {
  id: string;
  index: number;
}[];
const idx = new Map(labels.map((l) => [l.id, l.index]));
const recs = (await readFile(join(datasetDir!, 'manifest.jsonl'), 'utf8'))
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l))
  .filter((r) => r.split === (process.env.SPLIT ?? 'test'));
const model = await loadLayersModel(join(outDir!, 'model/model.json'));
const engine = await createEngine({ kind: 'onnx', model: layersModelToOnnx(model) });
let top1 = 0,
  top3 = 0,
  n = 0;
for await (const b of preprocessBatches(
  recs.map((r) => join(datasetRoot, r.path)),
  spec,
  { batchSize: 32 },
)) {
  const out = await engine.predict(b.tensor, b.count);
  const K = labels.length;
  for (let i = 0; i < b.count; i++) {
    const p = Array.from(out.subarray(i * K, (i + 1) * K));
    const y = idx.get(recs[n + i].labelId)!;
    const ranked = p
      .map((v, k) => [v, k])
      .sort((a, b) => b[0] - a[0])
      .map((a) => a[1]);
    if (ranked[0] === y) top1++;
    if (ranked.slice(0, 3).includes(y)) top3++;
  }
  n += b.count;
}
console.log(JSON.stringify({ split: process.env.SPLIT ?? 'test', n, top1: top1 / n, top3: top3 / n }));
