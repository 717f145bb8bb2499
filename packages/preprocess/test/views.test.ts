import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  averageViews,
  preprocessImage,
  preprocessView,
  preprocessViews,
  specFromConfig,
  specViews,
  viewName,
} from '../src/index.js';
import { halves } from './fixtures.js';

const base = { size: 16, resize: 'center-crop' as const, normalize: { scale: 1, offset: 0 } };

/** A 40×40 PNG: a 20×20 red square in the middle of a blue frame. */
async function framed(): Promise<Buffer> {
  const data = Buffer.alloc(40 * 40 * 3);
  for (let y = 0; y < 40; y++)
    for (let x = 0; x < 40; x++) {
      const inside = x >= 10 && x < 30 && y >= 10 && y < 30;
      data.set(inside ? [255, 0, 0] : [0, 0, 255], (y * 40 + x) * 3);
    }
  return sharp(data, { raw: { width: 40, height: 40, channels: 3 } })
    .png()
    .toBuffer();
}

const at = (t: Float32Array, size: number, x: number, y: number) =>
  Array.from(t.subarray((y * size + x) * 3, (y * size + x) * 3 + 3));

describe('test-time views', () => {
  it('a spec without tta has the clean view only, and the clean view is preprocessImage exactly', async () => {
    const spec = specFromConfig(base);
    expect(spec.tta).toBeUndefined();
    expect(specViews(spec)).toEqual([{ crop: 1, flip: false }]);
    const png = await framed();
    expect(await preprocessView(png, spec, { crop: 1, flip: false })).toEqual(
      await preprocessImage(png, spec),
    );
  });

  it('a crop keeps the centre of the photo: at 50 % the red centre square fills the input', async () => {
    const spec = specFromConfig(base);
    const png = await framed();
    const clean = await preprocessView(png, spec, { crop: 1, flip: false });
    const zoom = await preprocessView(png, spec, { crop: 0.5, flip: false });
    expect(at(clean, 16, 0, 0)).toEqual([0, 0, 255]);
    for (const [x, y] of [
      [0, 0],
      [15, 0],
      [0, 15],
      [15, 15],
      [8, 8],
    ] as const)
      expect(at(zoom, 16, x, y)).toEqual([255, 0, 0]);
  });

  it('flip mirrors left and right', async () => {
    const spec = specFromConfig(base);
    const png = await halves(32, 32, [255, 0, 0], [0, 0, 255]);
    const flipped = await preprocessView(png, spec, { crop: 1, flip: true });
    expect(at(flipped, 16, 0, 8)).toEqual([0, 0, 255]);
    expect(at(flipped, 16, 15, 8)).toEqual([255, 0, 0]);
  });

  it('preprocessViews returns the config tta views in order, named c, z80, z60f', async () => {
    const spec = specFromConfig({
      ...base,
      tta: [
        { crop: 1, flip: false },
        { crop: 0.8, flip: false },
        { crop: 0.6, flip: true },
      ],
    });
    expect(specViews(spec).map(viewName)).toEqual(['c', 'z80', 'z60f']);
    const views = await preprocessViews(await framed(), spec);
    expect(views).toHaveLength(3);
    expect(views[2]).toEqual(await preprocessView(await framed(), spec, { crop: 0.6, flip: true }));
  });

  it('averageViews takes the mean of each photo’s consecutive view rows', () => {
    const probs = Float32Array.from([1, 0, 0, 1, 0.5, 0.5, 0.25, 0.75]);
    expect(Array.from(averageViews(probs, 2, 2))).toEqual([0.5, 0.5, 0.375, 0.625]);
    expect(() => averageViews(probs, 3, 2)).toThrow(RangeError);
  });
});
