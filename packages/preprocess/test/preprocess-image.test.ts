import { parsePreprocessSpec as parseSpec, UsageError } from '@plantid/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageDecodeError, preprocessImage, preprocessToRgb, specFromConfig } from '../src/index.js';
import { halves, pixel, solid } from './fixtures.js';

const spec = specFromConfig({ size: 32, resize: 'center-crop', normalize: { scale: 127.5, offset: -1 } });

describe('preprocessImage', () => {
  it('returns size×size×3 float32 NHWC normalised with scale and offset', async () => {
    const png = await solid(50, 40, { r: 255, g: 0, b: 51 }).png().toBuffer();
    const t = await preprocessImage(png, spec);
    expect(t).toBeInstanceOf(Float32Array);
    expect(t.length).toBe(32 * 32 * 3);
    expect([t[0], t[1], t[2]]).toEqual([1, -1, Math.fround(51 / 127.5 - 1)]);
    expect([t[t.length - 3], t[t.length - 2], t[t.length - 1]]).toEqual([t[0], t[1], t[2]]);
  });

  it('normalises with per-channel mean and std', async () => {
    const meanStd = specFromConfig({
      size: 8,
      resize: 'stretch',
      normalize: { mean: [100, 50, 0], std: [2, 5, 10] },
    });
    const t = await preprocessImage(await solid(10, 10, { r: 110, g: 100, b: 20 }).png().toBuffer(), meanStd);
    expect([t[0], t[1], t[2]]).toEqual([5, 10, 2]);
  });

  it('applies EXIF orientation before resizing', async () => {
    // Stored 40×20 with red left, blue right; orientation 6 means "rotate 90° clockwise to display".
    const stored = await sharp(await halves(40, 20, [255, 0, 0], [0, 0, 255]))
      .jpeg({ quality: 100 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const stretch = { ...spec, resize: 'stretch' as const };
    const rgb = await preprocessToRgb(stored, stretch);
    // Displayed it is 20×40 with red on top, blue at the bottom.
    expect(pixel(rgb, 32, 16, 2)[0]).toBeGreaterThan(200);
    expect(pixel(rgb, 32, 16, 29)[2]).toBeGreaterThan(200);
  });

  it('center-crop keeps the middle, stretch keeps everything, letterbox pads with black', async () => {
    const wide = await sharp(await halves(300, 100, [255, 0, 0], [0, 255, 0]))
      .png()
      .toBuffer();
    const crop = await preprocessToRgb(wide, spec);
    expect(pixel(crop, 32, 0, 16)[0]).toBeGreaterThan(200); // left column of the middle square is red
    expect(pixel(crop, 32, 31, 16)[1]).toBeGreaterThan(200);
    const stretch = await preprocessToRgb(wide, { ...spec, resize: 'stretch' });
    expect(pixel(stretch, 32, 0, 0)).toEqual([255, 0, 0]);
    expect(pixel(stretch, 32, 31, 31)).toEqual([0, 255, 0]);
    const letterbox = await preprocessToRgb(wide, { ...spec, resize: 'letterbox' });
    expect(pixel(letterbox, 32, 16, 0)).toEqual([0, 0, 0]);
    expect(pixel(letterbox, 32, 16, 31)).toEqual([0, 0, 0]);
    expect(pixel(letterbox, 32, 2, 16)).toEqual([255, 0, 0]);
  });

  it('flattens transparency onto white', async () => {
    const png = await solid(20, 20, { r: 0, g: 0, b: 0, alpha: 0 }, 4).png().toBuffer();
    expect(pixel(await preprocessToRgb(png, spec), 32, 5, 5)).toEqual([255, 255, 255]);
    const half = await solid(20, 20, { r: 0, g: 0, b: 0, alpha: 0.5 }, 4).png().toBuffer();
    const [r] = pixel(await preprocessToRgb(half, spec), 32, 5, 5);
    expect(r).toBeGreaterThan(120);
    expect(r).toBeLessThan(135);
  });

  it('converts greyscale, 16-bit and CMYK images to 8-bit sRGB', async () => {
    const grey = await solid(20, 20, { r: 90, g: 90, b: 90 }).toColourspace('b-w').png().toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    expect(pixel(await preprocessToRgb(grey, spec), 32, 3, 3)).toEqual([90, 90, 90]);
    const deep = await solid(20, 20, { r: 200, g: 100, b: 50 }).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(deep).metadata()).depth).toBe('ushort');
    expect(pixel(await preprocessToRgb(deep, spec), 32, 3, 3)).toEqual([200, 100, 50]);
    const cmyk = await solid(20, 20, { r: 200, g: 100, b: 50 })
      .toColourspace('cmyk')
      .jpeg({ quality: 100 })
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const [r, g, b] = pixel(await preprocessToRgb(cmyk, spec), 32, 3, 3);
    expect(Math.abs(r - 200) + Math.abs(g - 100) + Math.abs(b - 50)).toBeLessThan(45);
  });

  it('throws ImageDecodeError (a UsageError naming the file) for bytes that are not an image', async () => {
    const jpeg = await solid(64, 64, { r: 10, g: 200, b: 30 }).jpeg().toBuffer();
    for (const bad of [new Uint8Array(0), new Uint8Array([1, 2, 3, 4]), jpeg.subarray(0, jpeg.length / 2)]) {
      const error = await preprocessImage(bad, spec, { where: 'photos/a.jpg' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImageDecodeError);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as ImageDecodeError).toLine()).toMatch(/^photos\/a\.jpg: cannot decode image/);
    }
  });

  it('refuses images above the pixel limit', async () => {
    const png = await solid(100, 100, { r: 1, g: 2, b: 3 }).png().toBuffer();
    const error = await preprocessImage(png, spec, { limitInputPixels: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect((error as ImageDecodeError).reason).toBe('too_large');
  });

  it('gives identical tensors for identical bytes, every time', async () => {
    const jpeg = await sharp(await halves(123, 77, [10, 120, 30], [200, 40, 90]))
      .jpeg()
      .toBuffer();
    const a = await preprocessImage(jpeg, spec);
    const b = await preprocessImage(Uint8Array.from(jpeg), parseSpec(JSON.parse(JSON.stringify(spec))));
    expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
  });
});

describe('spec', () => {
  it('round-trips through JSON and rejects a bad field by name', () => {
    expect(parseSpec(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
    expect(() => parseSpec({ ...spec, resize: 'zoom' })).toThrow(
      /resize: expected one of center-crop, letterbox, stretch/,
    );
    expect(() => parseSpec({ ...spec, version: 2 })).toThrow(/version/);
    expect(() => parseSpec({ ...spec, normalize: { scale: 0, offset: 1 } })).toThrow(/normalize/);
  });
});
