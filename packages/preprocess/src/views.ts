import type { PreprocessSpec, TtaView } from '@plantid/core';
import sharp from 'sharp';
import { type DecodeOptions, orientedSrgb, toRgb } from './decode.js';
import { ImageDecodeError } from './errors.js';
import { normalize } from './normalize.js';
import { applyResize, preprocessToRgb } from './preprocess-image.js';

export const CLEAN_VIEW: TtaView = { crop: 1, flip: false };

/** The views a spec averages per photo: its `tta` list, or the clean input alone. */
export function specViews(spec: PreprocessSpec): TtaView[] {
  return spec.tta?.length ? spec.tta : [CLEAN_VIEW];
}

export function isCleanView(view: TtaView): boolean {
  return view.crop === 1 && !view.flip;
}

/** A short stable name for a view: `c`, `f`, `z80`, `z60f` (logs, cache keys, reports). */
export function viewName(view: TtaView): string {
  if (view.crop === 1) return view.flip ? 'f' : 'c';
  return `z${Math.round(view.crop * 1000) / 10}${view.flip ? 'f' : ''}`;
}

/**
 * One view of a photo as uint8 RGB, size × size, before normalisation: the clean view is exactly
 * `preprocessToRgb`; another keeps the centre `crop` × width × height of the oriented photo, then
 * resizes per the spec, then mirrors. Training, evaluation, export's parity check and serving all
 * go through here.
 */
export async function viewToRgb(
  bytes: Uint8Array,
  spec: PreprocessSpec,
  view: TtaView,
  options: DecodeOptions = {},
): Promise<Uint8Array> {
  if (isCleanView(view)) return preprocessToRgb(bytes, spec, options);
  if (bytes.byteLength === 0)
    throw new ImageDecodeError('cannot decode image: empty input', { where: options.where });
  let pipeline = orientedSrgb(bytes, options);
  if (view.crop < 1) {
    // The oriented size: sharp's metadata is the stored one, so decode to raw first.
    const full = await toRgb(pipeline, options);
    const width = Math.max(1, Math.round(full.width * view.crop));
    const height = Math.max(1, Math.round(full.height * view.crop));
    pipeline = sharp(full.data, { raw: { width: full.width, height: full.height, channels: 3 } }).extract({
      left: Math.floor((full.width - width) / 2),
      top: Math.floor((full.height - height) / 2),
      width,
      height,
    });
  }
  let resized = applyResize(pipeline, spec);
  if (view.flip) resized = resized.flop();
  return (await toRgb(resized, options)).data;
}

/** One view of a photo as the model input (float32 NHWC, normalised); the clean view is `preprocessImage`. */
export async function preprocessView(
  bytes: Uint8Array,
  spec: PreprocessSpec,
  view: TtaView,
  options: DecodeOptions = {},
): Promise<Float32Array> {
  return normalize(await viewToRgb(bytes, spec, view, options), spec);
}

/** Every view of `specViews(spec)` of one photo, in order, as uint8 RGB. */
export async function viewsToRgb(
  bytes: Uint8Array,
  spec: PreprocessSpec,
  options: DecodeOptions = {},
): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const view of specViews(spec)) out.push(await viewToRgb(bytes, spec, view, options));
  return out;
}

/** Every view of `specViews(spec)` of one photo, in order, as model inputs. */
export async function preprocessViews(
  bytes: Uint8Array,
  spec: PreprocessSpec,
  options: DecodeOptions = {},
): Promise<Float32Array[]> {
  return (await viewsToRgb(bytes, spec, options)).map((rgb) => normalize(rgb, spec));
}

/**
 * Averages consecutive groups of `views` probability rows (`rows` = photos × views, each of
 * `classes` values) into one row per photo: the TTA prediction.
 */
export function averageViews(probs: Float32Array, views: number, classes: number): Float32Array {
  if (views === 1) return probs;
  const photos = probs.length / (views * classes);
  if (!Number.isInteger(photos))
    throw new RangeError(`${probs.length} values are not photos × ${views} views × ${classes} classes`);
  const out = new Float32Array(photos * classes);
  for (let p = 0; p < photos; p++)
    for (let v = 0; v < views; v++) {
      const row = (p * views + v) * classes;
      for (let k = 0; k < classes; k++) out[p * classes + k]! += probs[row + k]! / views;
    }
  return out;
}
