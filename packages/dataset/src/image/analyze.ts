import { formatHash64 } from '@plantid/core';
import { greyStats, laplacianVariance } from './blur.js';
import { phashFromGrey } from './phash.js';
import { decodeThumbnail, meanColour, toGrey } from './thumbnail.js';

/** Everything the quality checks, duplicate search and report need from the pixels of one image. */
export interface PixelFacts {
  width: number;
  height: number;
  format: string;
  hasExif: boolean;
  phash: string;
  /** Variance of the Laplacian on the grey analysis thumbnail. */
  blur: number;
  /** Standard deviation of grey levels (0–255); near 0 means a near-uniform image. */
  greyStd: number;
  meanRgb: [number, number, number];
}

export async function analyzePixels(bytes: Uint8Array): Promise<PixelFacts> {
  const thumb = await decodeThumbnail(bytes);
  const pixels = thumb.thumbWidth * thumb.thumbHeight;
  const grey = toGrey(thumb.rgb, pixels);
  return {
    width: thumb.width,
    height: thumb.height,
    format: thumb.format,
    hasExif: thumb.hasExif,
    phash: formatHash64(phashFromGrey(grey, thumb.thumbWidth, thumb.thumbHeight)),
    blur: laplacianVariance(grey, thumb.thumbWidth, thumb.thumbHeight),
    greyStd: greyStats(grey).std,
    meanRgb: meanColour(thumb.rgb, pixels),
  };
}

/**
 * The 64-bit perceptual hash of an encoded image, as the dataset stage stores it in
 * `manifest.jsonl` (16 hex chars). Same decode path, so evaluate can re-check leakage.
 */
export async function phash64(bytes: Uint8Array): Promise<string> {
  const thumb = await decodeThumbnail(bytes);
  const grey = toGrey(thumb.rgb, thumb.thumbWidth * thumb.thumbHeight);
  return formatHash64(phashFromGrey(grey, thumb.thumbWidth, thumb.thumbHeight));
}
