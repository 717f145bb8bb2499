import sharp, { type Sharp } from 'sharp';
import { ImageDecodeError } from './errors.js';
import { ALPHA_BACKGROUND } from './spec.js';

/** Decoded, EXIF-oriented, alpha-flattened 8-bit sRGB pixels, row-major RGB. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface DecodeOptions {
  /** Refuse images with more pixels than this (decompression bombs); default sharp's 268M. */
  limitInputPixels?: number;
  /** Names the file in error messages. */
  where?: string;
}

/**
 * Starts a sharp pipeline that decodes, applies EXIF orientation, flattens alpha onto white and
 * converts any colour space (grey, CMYK, 16-bit, ICC-tagged) to 8-bit sRGB.
 */
export function orientedSrgb(bytes: Uint8Array, options: DecodeOptions = {}): Sharp {
  return sharp(bytes, { limitInputPixels: options.limitInputPixels ?? 268_402_689, failOn: 'error' })
    .rotate()
    .flatten({ background: ALPHA_BACKGROUND })
    .toColourspace('srgb');
}

/** Runs a pipeline to raw 3-channel uint8 pixels, turning sharp's errors into ImageDecodeError. */
export async function toRgb(pipeline: Sharp, options: DecodeOptions = {}): Promise<RgbImage> {
  try {
    const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after conversion, got ${info.channels}`);
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
    };
  } catch (error) {
    throw asDecodeError(error, options.where);
  }
}

export function asDecodeError(error: unknown, where?: string): ImageDecodeError {
  if (error instanceof ImageDecodeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const tooLarge = /pixel limit/i.test(message);
  return new ImageDecodeError(
    tooLarge
      ? `image has more pixels than allowed (${firstLine(message)})`
      : `cannot decode image: ${firstLine(message)}`,
    { where, cause: error, reason: tooLarge ? 'too_large' : 'undecodable' },
  );
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

/** Decodes to full-resolution oriented sRGB (what augmentation crops from). */
export async function decodeRgb(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RgbImage> {
  if (bytes.byteLength === 0)
    throw new ImageDecodeError('cannot decode image: empty input', { where: options.where });
  return toRgb(orientedSrgb(bytes, options), options);
}
