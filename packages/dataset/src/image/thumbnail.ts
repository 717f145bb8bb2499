import sharp, { type Metadata } from 'sharp';

/** Longest side of the analysis thumbnail: blur, uniformity and pHash are all measured on it. */
export const ANALYSIS_SIDE = 256;

export interface DecodedThumbnail {
  /** Header facts, after EXIF orientation. */
  width: number;
  height: number;
  format: string;
  hasExif: boolean;
  /** RGB thumbnail, longest side ≤ ANALYSIS_SIDE, alpha flattened onto white. */
  rgb: Uint8Array;
  thumbWidth: number;
  thumbHeight: number;
}

/** sharp reports AVIF and HEIC both as `heif`; users know them apart. */
function formatName(meta: Metadata): string {
  if (meta.format === 'heif') return meta.compression === 'av1' ? 'avif' : 'heic';
  return meta.format ?? 'unknown';
}

/**
 * Decodes the whole image (truncation and decoder errors throw) into a small oriented RGB
 * thumbnail. Only one decode per image: shrink-on-load keeps big JPEGs cheap.
 */
export async function decodeThumbnail(bytes: Uint8Array): Promise<DecodedThumbnail> {
  if (bytes.length === 0) throw new Error('empty file (0 bytes)');
  const image = sharp(bytes, { failOn: 'error', pages: 1 });
  const meta = await image.metadata();
  const oriented = meta.autoOrient ?? { width: meta.width ?? 0, height: meta.height ?? 0 };
  const { data, info } = await image
    .autoOrient()
    .resize(ANALYSIS_SIDE, ANALYSIS_SIDE, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const pixels = info.width * info.height;
  let rgb: Uint8Array;
  if (info.channels === 3) rgb = new Uint8Array(data.buffer, data.byteOffset, data.length);
  else {
    rgb = new Uint8Array(pixels * 3);
    for (let p = 0; p < pixels; p++) {
      for (let c = 0; c < 3; c++) rgb[p * 3 + c] = data[p * info.channels + Math.min(c, info.channels - 1)]!;
    }
  }
  return {
    width: oriented.width,
    height: oriented.height,
    format: formatName(meta),
    hasExif: meta.exif !== undefined,
    rgb,
    thumbWidth: info.width,
    thumbHeight: info.height,
  };
}

/** Rec. 601 luma of an RGB buffer, as floats 0–255. */
export function toGrey(rgb: Uint8Array, pixels: number): Float32Array {
  const grey = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++)
    grey[p] = 0.299 * rgb[p * 3]! + 0.587 * rgb[p * 3 + 1]! + 0.114 * rgb[p * 3 + 2]!;
  return grey;
}

export function meanColour(rgb: Uint8Array, pixels: number): [number, number, number] {
  let r = 0;
  let g = 0;
  let b = 0;
  for (let p = 0; p < pixels; p++) {
    r += rgb[p * 3]!;
    g += rgb[p * 3 + 1]!;
    b += rgb[p * 3 + 2]!;
  }
  return [Math.round(r / pixels), Math.round(g / pixels), Math.round(b / pixels)];
}
