import sharp from 'sharp';
import { pngBomb } from '../test/fixtures/images.js';
console.time('bomb'); const b = await pngBomb(); console.timeEnd('bomb'); console.log(b.length, await sharp(b, {limitInputPixels:false}).metadata().then(m => [m.width, m.height, m.format]));
