import sharp from 'sharp';
import { badRequest, tooLarge, unsupportedMedia } from './errors.js';
import { DECODABLE_FORMATS, type SniffedFormat, sniffImageFormat } from './sniff.js';

export interface ImageLimits {
  maxBytes: number;
  maxPixels: number;
}

export interface CheckedImage {
  format: SniffedFormat;
  width: number;
  height: number;
}

const REFUSED_HINT: Partial<Record<SniffedFormat, string>> = {
  heic: 'HEIC/HEIF photos cannot be decoded here; send JPEG (iPhone: Settings → Camera → Formats → Most Compatible)',
  bmp: 'BMP is not supported; send JPEG, PNG or WebP',
  jxl: 'JPEG XL is not supported; send JPEG, PNG or WebP',
  svg: 'vector images are not photos; send JPEG, PNG or WebP',
  pdf: 'PDF is not an image; send JPEG, PNG or WebP',
};

/**
 * Cheap checks before any pixel is decoded: not empty, a known image format by its magic
 * bytes, within the byte limit, and a header whose width × height is within the pixel
 * limit (so a decompression bomb is refused after reading a few bytes of it).
 */
export async function checkImage(
  bytes: Uint8Array,
  limits: ImageLimits,
  field = 'image',
): Promise<CheckedImage> {
  if (bytes.byteLength === 0)
    throw badRequest('IMAGE_EMPTY', `${field} is empty (0 bytes); attach a JPEG, PNG or WebP photo`);
  if (bytes.byteLength > limits.maxBytes) {
    throw tooLarge(
      'IMAGE_TOO_LARGE',
      `${field} is ${bytes.byteLength} bytes, over the ${limits.maxBytes}-byte limit; send a smaller photo`,
    );
  }
  const format = sniffImageFormat(bytes);
  if (format === null) {
    throw unsupportedMedia(
      'IMAGE_UNSUPPORTED_TYPE',
      `${field} is not an image (unrecognised content); send JPEG, PNG, WebP, GIF, TIFF or AVIF`,
    );
  }
  if (!DECODABLE_FORMATS.has(format)) {
    throw unsupportedMedia(
      'IMAGE_UNSUPPORTED_TYPE',
      `${field} is ${format.toUpperCase()}: ${REFUSED_HINT[format] ?? 'not supported'}`,
    );
  }
  let width: number | undefined;
  let height: number | undefined;
  try {
    // metadata() parses the header only; limitInputPixels: false so the limit check below names the size.
    const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    width = meta.width;
    height = meta.height;
  } catch (error) {
    throw badRequest(
      'IMAGE_UNDECODABLE',
      `${field} looks like ${format.toUpperCase()} but its header cannot be read (${firstLine(error)}); the file may be damaged`,
    );
  }
  if (!width || !height)
    throw badRequest(
      'IMAGE_UNDECODABLE',
      `${field} has no width/height in its header; the file may be damaged`,
    );
  if (width * height > limits.maxPixels) {
    throw tooLarge(
      'IMAGE_TOO_MANY_PIXELS',
      `${field} is ${width}×${height} = ${width * height} pixels, over the ${limits.maxPixels}-pixel limit; downscale it before sending`,
    );
  }
  return { format, width, height };
}

export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.trim();
}
