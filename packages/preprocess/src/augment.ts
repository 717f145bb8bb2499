import { createRandom, type PlantidConfig, type PreprocessSpec } from '@plantid/core';
import { asDecodeError, type DecodeOptions, orientedSrgb, type RgbImage, toRgb } from './decode.js';
import { ImageDecodeError } from './errors.js';
import { normalize } from './normalize.js';
import { uniform } from './random.js';

/** Training-time augmentation; every random choice comes from one seed. */
export interface AugmentSpec {
  flip: boolean;
  /** Max rotation in degrees, either way. */
  rotate: number;
  /** Random resized crop: fraction of the (rotation-safe) image area. */
  crop: [number, number];
  /** Random resized crop: width/height range. */
  ratio: [number, number];
  /** Brightness, contrast and saturation factors in [1-j, 1+j]; hue shift in ±j/10 of a turn. */
  colorJitter: number;
}

export function augmentFromConfig(augment: PlantidConfig['augment']): AugmentSpec {
  return {
    flip: augment.flip,
    rotate: augment.rotate,
    crop: [augment.crop[0], augment.crop[1]],
    ratio: [augment.ratio[0], augment.ratio[1]],
    colorJitter: augment.colorJitter,
  };
}

/** Every random choice one view makes, drawn up front so the same seed gives the same pixels. */
export interface AugmentParams {
  angle: number;
  /** Crop in the rotated image, as fractions of the rotation-safe rectangle. */
  crop: { x: number; y: number; w: number; h: number };
  flip: boolean;
  brightness: number;
  contrast: number;
  saturation: number;
  /** Fraction of a full hue turn. */
  hue: number;
}

export function drawAugmentParams(
  aug: AugmentSpec,
  seed: number,
  width: number,
  height: number,
): AugmentParams {
  const random = createRandom(seed);
  const angle = aug.rotate > 0 ? uniform(random, -aug.rotate, aug.rotate) : 0;
  const safe = rotationSafeRect(width, height, angle);
  const crop = randomResizedCrop(random, safe.width, safe.height, aug.crop, aug.ratio);
  const flip = aug.flip && random() < 0.5;
  const j = aug.colorJitter;
  return {
    angle,
    crop: {
      x: crop.x / safe.width,
      y: crop.y / safe.height,
      w: crop.w / safe.width,
      h: crop.h / safe.height,
    },
    flip,
    brightness: uniform(random, 1 - j, 1 + j),
    contrast: uniform(random, 1 - j, 1 + j),
    saturation: uniform(random, 1 - j, 1 + j),
    hue: uniform(random, -j / 10, j / 10),
  };
}

/**
 * Largest axis-aligned rectangle inside a w×h image rotated by `degrees`, so rotated views have
 * no empty corners (centred in the rotated canvas).
 */
export function rotationSafeRect(w: number, h: number, degrees: number): { width: number; height: number } {
  const a = (Math.abs(degrees) * Math.PI) / 180;
  const sin = Math.abs(Math.sin(a));
  const cos = Math.abs(Math.cos(a));
  if (sin < 1e-9) return { width: w, height: h };
  const long = Math.max(w, h);
  const short = Math.min(w, h);
  let wr: number;
  let hr: number;
  if (short <= 2 * sin * cos * long || Math.abs(sin - cos) < 1e-10) {
    const x = 0.5 * short;
    [wr, hr] = w >= h ? [x / sin, x / cos] : [x / cos, x / sin];
  } else {
    const cos2 = cos * cos - sin * sin;
    wr = (w * cos - h * sin) / cos2;
    hr = (h * cos - w * sin) / cos2;
  }
  return { width: Math.max(1, Math.floor(wr + 1e-6)), height: Math.max(1, Math.floor(hr + 1e-6)) };
}

/** torchvision's RandomResizedCrop sampling: 10 tries, then a centre crop clamped to the ratio range. */
function randomResizedCrop(
  random: () => number,
  width: number,
  height: number,
  scale: [number, number],
  ratio: [number, number],
): { x: number; y: number; w: number; h: number } {
  const area = width * height;
  const logLo = Math.log(Math.min(ratio[0], ratio[1]));
  const logHi = Math.log(Math.max(ratio[0], ratio[1]));
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * uniform(random, Math.min(scale[0], scale[1]), Math.max(scale[0], scale[1]));
    const aspect = Math.exp(uniform(random, logLo, logHi));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      return { x: Math.floor(random() * (width - w + 1)), y: Math.floor(random() * (height - h + 1)), w, h };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < Math.min(ratio[0], ratio[1])) h = Math.round(w / Math.min(ratio[0], ratio[1]));
  else if (inRatio > Math.max(ratio[0], ratio[1])) w = Math.round(h * Math.max(ratio[0], ratio[1]));
  return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), w, h };
}

/**
 * Decodes once for any number of views: oriented sRGB, shrunk (never enlarged) so the smallest crop
 * still has about `size` pixels across; big photos then cost little per view.
 */
export async function prepareAugmentSource(
  bytes: Uint8Array,
  spec: PreprocessSpec,
  aug: AugmentSpec,
  options: DecodeOptions = {},
): Promise<RgbImage> {
  if (bytes.byteLength === 0)
    throw new ImageDecodeError('cannot decode image: empty input', { where: options.where });
  const minScale = Math.max(0.05, Math.min(aug.crop[0], aug.crop[1]));
  const side = Math.ceil(spec.size / Math.sqrt(minScale));
  return toRgb(
    orientedSrgb(bytes, options).resize(side, side, { fit: 'outside', withoutEnlargement: true }),
    options,
  );
}

/**
 * Geometry on the raw pixels: each output pixel is mapped back through the flip, the crop and the
 * rotation into the source and sampled bilinearly (the source was shrunk so the crop never scales
 * below ~0.75, where bilinear needs no prefilter); then colour jitter. Doing it here rather than in
 * a sharp affine costs about a fifth of the CPU.
 */
export async function augmentRgb(
  image: RgbImage,
  spec: PreprocessSpec,
  params: AugmentParams,
): Promise<Uint8Array> {
  return jitterColours(warp(image, spec.size, params), params);
}

function warp(image: RgbImage, size: number, params: AugmentParams): Uint8Array {
  const { width: w, height: h, data } = image;
  const a = (params.angle * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const rotatedW = w * Math.abs(cos) + h * Math.abs(sin);
  const rotatedH = w * Math.abs(sin) + h * Math.abs(cos);
  const safe = rotationSafeRect(w, h, params.angle);
  const cropW = Math.max(1, params.crop.w * safe.width);
  const cropH = Math.max(1, params.crop.h * safe.height);
  // Crop origin relative to the rotated canvas centre, which maps to the source centre.
  const left = (rotatedW - safe.width) / 2 + params.crop.x * safe.width - rotatedW / 2;
  const top = (rotatedH - safe.height) / 2 + params.crop.y * safe.height - rotatedH / 2;
  const stepX = cropW / size;
  const stepY = cropH / size;
  const out = new Uint8Array(size * size * 3);
  const maxX = w - 1;
  const maxY = h - 1;
  for (let v = 0; v < size; v++) {
    const dy = top + (v + 0.5) * stepY;
    for (let u = 0; u < size; u++) {
      const uu = params.flip ? size - 1 - u : u;
      const dx = left + (uu + 0.5) * stepX;
      // Inverse rotation into source pixel coordinates (pixel centres at +0.5).
      let sx = w / 2 + cos * dx + sin * dy - 0.5;
      let sy = h / 2 - sin * dx + cos * dy - 0.5;
      sx = sx < 0 ? 0 : Math.min(sx, maxX);
      sy = sy < 0 ? 0 : Math.min(sy, maxY);
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = x0 < maxX ? x0 + 1 : x0;
      const y1 = y0 < maxY ? y0 + 1 : y0;
      const fx = sx - x0;
      const fy = sy - y0;
      const i00 = (y0 * w + x0) * 3;
      const i01 = (y0 * w + x1) * 3;
      const i10 = (y1 * w + x0) * 3;
      const i11 = (y1 * w + x1) * 3;
      const o = (v * size + u) * 3;
      for (let c = 0; c < 3; c++) {
        const top0 = data[i00 + c]! + (data[i01 + c]! - data[i00 + c]!) * fx;
        const bottom = data[i10 + c]! + (data[i11 + c]! - data[i10 + c]!) * fx;
        out[o + c] = Math.round(top0 + (bottom - top0) * fy);
      }
    }
  }
  return out;
}

const GREY = [0.299, 0.587, 0.114] as const;
type Row = [number, number, number];

/**
 * Brightness, contrast (towards the mean grey), saturation (towards each pixel's grey) and a hue
 * rotation (YIQ), with torchvision ColorJitter's factors, composed into one affine colour map and
 * clamped once at the end. Returns a new array.
 */
export function jitterColours(
  rgb: Uint8Array,
  p: Pick<AugmentParams, 'brightness' | 'contrast' | 'saturation' | 'hue'>,
): Uint8Array {
  const [g0, g1, g2] = GREY;
  let meanGrey = 0;
  for (let i = 0; i < rgb.length; i += 3) meanGrey += g0 * rgb[i]! + g1 * rgb[i + 1]! + g2 * rgb[i + 2]!;
  meanGrey = (meanGrey / (rgb.length / 3)) * p.brightness;
  const phi = p.hue * 2 * Math.PI;
  const c = Math.cos(phi);
  const s = Math.sin(phi);
  const hue: Row[] = [
    [0.299 + 0.701 * c + 0.168 * s, 0.587 - 0.587 * c + 0.33 * s, 0.114 - 0.114 * c - 0.497 * s],
    [0.299 - 0.299 * c - 0.328 * s, 0.587 + 0.413 * c + 0.035 * s, 0.114 - 0.114 * c + 0.292 * s],
    [0.299 - 0.3 * c + 1.25 * s, 0.587 - 0.588 * c - 1.05 * s, 0.114 + 0.886 * c - 0.203 * s],
  ];
  // saturation = sat·I + (1 − sat)·1·greyᵀ; brightness·contrast scale it, (1 − contrast)·mean is added.
  const sat = (j: number, k: number) => (j === k ? p.saturation : 0) + (1 - p.saturation) * GREY[k]!;
  const m = hue.map(
    (row) =>
      [0, 1, 2].map(
        (k) => row.reduce((acc, v, j) => acc + v * sat(j, k), 0) * p.brightness * p.contrast,
      ) as Row,
  );
  const t = hue.map((row) => row.reduce((acc, v) => acc + v, 0) * (1 - p.contrast) * meanGrey) as Row;
  const [[m00, m01, m02], [m10, m11, m12], [m20, m21, m22]] = m as [Row, Row, Row];
  const [t0, t1, t2] = t;
  const out = new Uint8Array(rgb.length);
  for (let i = 0; i < rgb.length; i += 3) {
    const r = rgb[i]!;
    const g = rgb[i + 1]!;
    const b = rgb[i + 2]!;
    // Uint8Array stores truncate and wrap: clamp and round explicitly.
    out[i] = Math.min(255, Math.max(0, Math.round(m00 * r + m01 * g + m02 * b + t0)));
    out[i + 1] = Math.min(255, Math.max(0, Math.round(m10 * r + m11 * g + m12 * b + t1)));
    out[i + 2] = Math.min(255, Math.max(0, Math.round(m20 * r + m21 * g + m22 * b + t2)));
  }
  return out;
}

/** One augmented view as uint8 RGB size×size (what the preview grid shows). */
export async function augmentToRgb(
  source: Uint8Array | RgbImage,
  spec: PreprocessSpec,
  aug: AugmentSpec,
  seed: number,
  options: DecodeOptions = {},
): Promise<Uint8Array> {
  const image =
    source instanceof Uint8Array ? await prepareAugmentSource(source, spec, aug, options) : source;
  const params = drawAugmentParams(aug, seed, image.width, image.height);
  try {
    return await augmentRgb(image, spec, params);
  } catch (error) {
    throw asDecodeError(error, options.where);
  }
}

/**
 * One augmented view, normalised like preprocessImage: decode → EXIF orient → sRGB → rotate →
 * random resized crop → flip → colour jitter → normalise. Same bytes + seed → same tensor.
 * Pass `prepareAugmentSource(bytes)` to make several views of one image without decoding it again.
 */
export async function augmentImage(
  source: Uint8Array | RgbImage,
  spec: PreprocessSpec,
  aug: AugmentSpec,
  seed: number,
  options: DecodeOptions = {},
): Promise<Float32Array> {
  return normalize(await augmentToRgb(source, spec, aug, seed, options), spec);
}
