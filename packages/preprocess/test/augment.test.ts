import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  type AugmentSpec,
  augmentImage,
  augmentToRgb,
  jitterColours,
  prepareAugmentSource,
  preprocessToRgb,
  rotationSafeRect,
  specFromConfig,
  viewSeed,
} from '../src/index.js';
import { halves, pixel, texture } from './fixtures.js';

const spec = specFromConfig({ size: 64, resize: 'center-crop', normalize: { scale: 127.5, offset: -1 } });
const full: AugmentSpec = { flip: true, rotate: 15, crop: [0.6, 1], ratio: [0.75, 4 / 3], colorJitter: 0.2 };

describe('augmentation', () => {
  it('same seed → same pixels; different seeds → different views', async () => {
    const leaf = await texture(500, 500);
    const a = await augmentImage(leaf, spec, full, 1234);
    const b = await augmentImage(Uint8Array.from(leaf), spec, full, 1234);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    const source = await prepareAugmentSource(leaf, spec, full);
    const fromSource = await augmentImage(source, spec, full, 1234);
    expect(Buffer.from(fromSource.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    const c = await augmentImage(leaf, spec, full, 1235);
    expect(Buffer.from(c.buffer).equals(Buffer.from(a.buffer))).toBe(false);
  });

  it('view seeds are stable and distinct per image and view', () => {
    expect(viewSeed(42, 'abc', 1)).toBe(viewSeed(42, 'abc', 1));
    const seeds = new Set([
      viewSeed(42, 'abc', 1),
      viewSeed(42, 'abc', 2),
      viewSeed(42, 'abd', 1),
      viewSeed(43, 'abc', 1),
    ]);
    expect(seeds.size).toBe(4);
  });

  it('with everything off it equals the clean preprocessing; flip mirrors it', async () => {
    const png = await halves(80, 80, [255, 0, 0], [0, 0, 255]);
    const none: AugmentSpec = { flip: false, rotate: 0, crop: [1, 1], ratio: [1, 1], colorJitter: 0 };
    const clean = await preprocessToRgb(png, { ...spec, resize: 'stretch' });
    const view = await augmentToRgb(png, spec, none, 7);
    let maxDiff = 0;
    for (let i = 0; i < clean.length; i++) maxDiff = Math.max(maxDiff, Math.abs(clean[i]! - view[i]!));
    expect(maxDiff).toBeLessThanOrEqual(2);
    // Some seed flips (p = 0.5); a flipped view has blue on the left.
    const flips = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((s) => augmentToRgb(png, spec, { ...none, flip: true }, s)),
    );
    const flipped = flips.filter((v) => pixel(v, 64, 2, 32)[2] > 200);
    expect(flipped.length).toBeGreaterThan(0);
    expect(flipped.length).toBeLessThan(6);
    expect(pixel(flipped[0]!, 64, 61, 32)[0]).toBeGreaterThan(200);
  });

  it('rotated views have no empty black corners', async () => {
    const white = await sharp({ create: { width: 120, height: 90, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    const rotOnly: AugmentSpec = {
      flip: false,
      rotate: 30,
      crop: [1, 1],
      ratio: [0.75, 4 / 3],
      colorJitter: 0,
    };
    for (const seed of [1, 2, 3]) {
      const v = await augmentToRgb(white, spec, rotOnly, seed);
      for (const [x, y] of [
        [0, 0],
        [63, 0],
        [0, 63],
        [63, 63],
      ] as const)
        expect(pixel(v, 64, x, y)[0]).toBeGreaterThan(200);
    }
    expect(rotationSafeRect(100, 50, 90)).toEqual({ width: 50, height: 100 });
    expect(rotationSafeRect(100, 100, 45).width).toBe(70);
  });

  it('colour jitter: identity leaves pixels alone, brightness scales, saturation 0 gives grey', () => {
    const rgb = Uint8Array.from([200, 100, 50, 10, 20, 30]);
    expect(jitterColours(rgb, { brightness: 1, contrast: 1, saturation: 1, hue: 0 })).toEqual(rgb);
    expect(jitterColours(rgb, { brightness: 0.5, contrast: 1, saturation: 1, hue: 0 })).toEqual(
      Uint8Array.from([100, 50, 25, 5, 10, 15]),
    );
    const grey = jitterColours(rgb, { brightness: 1, contrast: 1, saturation: 0, hue: 0 });
    expect(grey[0]).toBe(grey[1]);
    expect(grey[1]).toBe(grey[2]);
    expect(grey[0]).toBe(Math.round(0.299 * 200 + 0.587 * 100 + 0.114 * 50));
  });
});
