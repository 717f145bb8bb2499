import { readFile } from 'node:fs/promises';
import { preprocessImage } from '@plantid/preprocess';
import sharp from 'sharp';
import { SPEC, testBundle } from '../test/fixtures/bundle.js';

const b = await testBundle();
const photos = await Promise.all(
  b.heldOut
    .flat()
    .slice(0, 50)
    .map((p) => readFile(p)),
);
for (let round = 0; round < 3; round++) {
  let t = performance.now();
  for (const p of photos) await sharp(p, { limitInputPixels: false }).metadata();
  const meta = (performance.now() - t) / photos.length;
  t = performance.now();
  for (const p of photos) await preprocessImage(p, SPEC);
  const pre = (performance.now() - t) / photos.length;
  console.log(`metadata ${meta.toFixed(2)} ms, preprocess ${pre.toFixed(2)} ms`);
}
