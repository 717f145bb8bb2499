import { errors } from './errors.js';
import { DECODABLE_FORMATS, type SniffedFormat, sniffImageFormat } from './sniff.js';

export interface ImageLimits {
  maxBytes: number;
  maxPixels: number;
}

export interface CheckedImage {
  format: SniffedFormat;
}

const REFUSED_HINT: Partial<Record<SniffedFormat, string>> = {
  heic: 'HEIC/HEIF photos cannot be decoded here; send JPEG (iPhone: Settings → Camera → Formats → Most Compatible)',
  bmp: 'BMP is not supported; send JPEG, PNG or WebP',
  jxl: 'JPEG XL is not supported; send JPEG, PNG or WebP',
  svg: 'vector images are not photos; send JPEG, PNG or WebP',
  pdf: 'PDF is not an image; send JPEG, PNG or WebP',
};

/**
 * Checks before any decoding: not empty, within the byte limit, and a format this server
 * decodes, told by its magic bytes (never the file name or declared type). The pixel limit
 * (decompression bombs) is enforced by the decoder from the image header, before it
 * allocates anything (see inferImage).
 */
export function checkImage(
  bytes: Uint8Array,
  limits: Pick<ImageLimits, 'maxBytes'>,
  field = 'image',
): CheckedImage {
  if (bytes.byteLength === 0) {
    throw new errors.IMAGE_EMPTY(`${field} is empty (0 bytes); attach a JPEG, PNG or WebP photo`);
  }
  if (bytes.byteLength > limits.maxBytes) {
    throw new errors.IMAGE_TOO_LARGE(
      `${field} is ${bytes.byteLength} bytes, over the ${limits.maxBytes}-byte limit; send a smaller photo`,
    );
  }
  const format = sniffImageFormat(bytes);
  if (format === null) {
    throw new errors.IMAGE_UNSUPPORTED_TYPE(
      `${field} is not an image (unrecognised content); send JPEG, PNG, WebP, GIF, TIFF or AVIF`,
    );
  }
  if (!DECODABLE_FORMATS.has(format)) {
    throw new errors.IMAGE_UNSUPPORTED_TYPE(
      `${field} is ${format.toUpperCase()}: ${REFUSED_HINT[format] ?? 'not supported'}`,
    );
  }
  return { format };
}
