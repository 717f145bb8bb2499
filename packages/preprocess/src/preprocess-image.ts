import type { PreprocessSpec } from '@plantid/core';
import type { Sharp } from 'sharp';
import { type DecodeOptions, orientedSrgb, toRgb } from './decode.js';
import { ImageDecodeError } from './errors.js';
import { normalize } from './normalize.js';
import { LETTERBOX_BACKGROUND } from './spec.js';

/** The spec's resize step on a sharp pipeline (decode/orient/flatten already applied). */
export function applyResize(pipeline: Sharp, spec: PreprocessSpec): Sharp {
  const size = spec.size;
  switch (spec.resize) {
    case 'center-crop':
      return pipeline.resize(size, size, { fit: 'cover', position: 'centre' });
    case 'letterbox':
      return pipeline.resize(size, size, {
        fit: 'contain',
        background: { ...LETTERBOX_BACKGROUND, alpha: 1 },
      });
    case 'stretch':
      return pipeline.resize(size, size, { fit: 'fill' });
  }
}

/** decode → EXIF orient → resize → sRGB uint8 RGB of size×size (no normalisation). */
export async function preprocessToRgb(
  bytes: Uint8Array,
  spec: PreprocessSpec,
  options: DecodeOptions = {},
): Promise<Uint8Array> {
  if (bytes.byteLength === 0)
    throw new ImageDecodeError('cannot decode image: empty input', { where: options.where });
  const image = await toRgb(applyResize(orientedSrgb(bytes, options), spec), options);
  return image.data;
}

/**
 * The one preprocessing function training, evaluation and serving share: encoded image bytes →
 * size×size×3 float32 NHWC, normalised per `spec`. Throws ImageDecodeError for undecodable input.
 */
export async function preprocessImage(
  bytes: Uint8Array,
  spec: PreprocessSpec,
  options: DecodeOptions = {},
): Promise<Float32Array> {
  return normalize(await preprocessToRgb(bytes, spec, options), spec);
}
