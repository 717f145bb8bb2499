import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixture } from './test/fixtures.js';
import { analyseOne } from './src/analyse.js';
import { detailCorrelation } from './src/image/detail.js';
import { hamming } from './src/image/hamming.js';
const dir = await mkdtemp(join(tmpdir(), 'crop-'));
const f = await makeFixture(dir);
const o = await analyseOne(join(f.root, 'Mentha (mint)/IMG_0010.jpg'), false);
for (const n of ['copy cropped.jpg', 'copy resized.png', 'copy reencoded.webp', 'IMG_0020.jpg']) {
  const c = await analyseOne(join(f.root, 'Mentha (mint)', n), false);
  console.log(n, hamming(o.phash!, c.phash!), detailCorrelation(o.detail!, c.detail!).toFixed(3));
}
