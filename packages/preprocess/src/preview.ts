import type { PreprocessSpec } from '@plantid/core';
import sharp, { type OverlayOptions } from 'sharp';
import { type AugmentSpec, augmentToRgb, prepareAugmentSource } from './augment.js';
import { preprocessToRgb } from './preprocess-image.js';
import { viewSeed } from './random.js';

export interface GridImage {
  /** Stable id (e.g. the manifest's sha256) that seeds the views, as training does. */
  id: string;
  bytes: Uint8Array;
  /** Names the file in errors. */
  where?: string;
}

/**
 * A PNG grid: one row per image, the clean view first, then `views` augmented views drawn with
 * the same seeds training uses (`viewSeed(seed, id, v)` for v = 1..views).
 */
export async function renderAugmentGrid(
  images: GridImage[],
  spec: PreprocessSpec,
  aug: AugmentSpec,
  options: { seed: number; views: number; gap?: number },
): Promise<Buffer> {
  const size = spec.size;
  const gap = options.gap ?? 4;
  const columns = options.views + 1;
  const raw = { raw: { width: size, height: size, channels: 3 as const } };
  const tiles: OverlayOptions[] = [];
  for (const [row, image] of images.entries()) {
    const where = image.where ?? image.id;
    const source = await prepareAugmentSource(image.bytes, spec, aug, { where });
    const cells = [await preprocessToRgb(image.bytes, spec, { where })];
    for (let v = 1; v <= options.views; v++)
      cells.push(await augmentToRgb(source, spec, aug, viewSeed(options.seed, image.id, v)));
    for (const [col, rgb] of cells.entries()) {
      tiles.push({
        input: await sharp(rgb, raw).png().toBuffer(),
        left: gap + col * (size + gap),
        top: gap + row * (size + gap),
      });
    }
  }
  return sharp({
    create: {
      width: gap + columns * (size + gap),
      height: gap + Math.max(1, images.length) * (size + gap),
      channels: 3,
      background: { r: 255, g: 255, b: 255 },
    },
  })
    .composite(tiles)
    .png()
    .toBuffer();
}
