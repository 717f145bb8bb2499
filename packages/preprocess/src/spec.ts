import type { Normalize, PlantidConfig, PreprocessSpec } from '@plantid/core';

/** Colour the alpha channel is flattened onto (white: how a transparent photo looks on a page). */
export const ALPHA_BACKGROUND = { r: 255, g: 255, b: 255 } as const;
/** Colour of letterbox bars. */
export const LETTERBOX_BACKGROUND = { r: 0, g: 0, b: 0 } as const;

/** The preprocess.json contract (core) of a config's `preprocess` section. */
export function specFromConfig(
  preprocess: Omit<PlantidConfig['preprocess'], 'tta'> & Partial<Pick<PlantidConfig['preprocess'], 'tta'>>,
): PreprocessSpec {
  const n = preprocess.normalize;
  const normalize: Normalize =
    'scale' in n
      ? { scale: n.scale, offset: n.offset ?? 0 }
      : { mean: [...n.mean] as [number, number, number], std: [...n.std] as [number, number, number] };
  const spec: PreprocessSpec = {
    version: 1,
    size: preprocess.size,
    resize: preprocess.resize,
    orient: true,
    colorSpace: 'srgb',
    normalize,
    layout: 'NHWC',
  };
  // Written only when set, so a spec without TTA (and every cache key built from it) is unchanged.
  if (preprocess.tta?.length) spec.tta = preprocess.tta.map((v) => ({ crop: v.crop, flip: v.flip }));
  return spec;
}

/** Per-channel affine `out = x * mul[c] + add[c]` equivalent to the spec's normalisation. */
export function normalizeCoefficients(normalize: Normalize): {
  mul: [number, number, number];
  add: [number, number, number];
} {
  if ('scale' in normalize) {
    const m = 1 / normalize.scale;
    return { mul: [m, m, m], add: [normalize.offset, normalize.offset, normalize.offset] };
  }
  const { mean, std } = normalize;
  return {
    mul: [1 / std[0], 1 / std[1], 1 / std[2]],
    add: [-mean[0] / std[0], -mean[1] / std[1], -mean[2] / std[2]],
  };
}
