import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { augmentToRgb, preprocessToRgb, renderAugmentGrid, specFromConfig, viewSeed } from '../src/index.js';
import { halves } from './fixtures.js';

describe('renderAugmentGrid', () => {
  it('lays out clean + augmented views per image, with the seeds training uses', async () => {
    const spec = specFromConfig({ size: 32, resize: 'center-crop', normalize: { scale: 127.5, offset: -1 } });
    const aug = {
      flip: true,
      rotate: 10,
      crop: [0.6, 1] as [number, number],
      ratio: [0.75, 4 / 3] as [number, number],
      colorJitter: 0.2,
    };
    const images = [
      { id: 'a', bytes: await halves(60, 40, [200, 30, 30], [30, 30, 200]) },
      { id: 'b', bytes: await halves(40, 60, [30, 200, 30], [220, 220, 30]) },
    ];
    const png = await renderAugmentGrid(images, spec, aug, { seed: 42, views: 3, gap: 2 });
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([2 + 4 * 34, 2 + 2 * 34]);
    const tile = (row: number, col: number) => {
      const out = new Uint8Array(32 * 32 * 3);
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          const src = ((2 + row * 34 + y) * info.width + 2 + col * 34 + x) * info.channels;
          out.set(data.subarray(src, src + 3), (y * 32 + x) * 3);
        }
      }
      return out;
    };
    expect(tile(1, 0)).toEqual(await preprocessToRgb(images[1]!.bytes, spec));
    expect(tile(0, 2)).toEqual(await augmentToRgb(images[0]!.bytes, spec, aug, viewSeed(42, 'a', 2)));
  });
});
