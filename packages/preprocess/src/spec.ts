import type { PlantidConfig } from '@plantid/core';
import { UsageError } from '@plantid/core';

export type ResizeMode = 'center-crop' | 'letterbox' | 'stretch';

/** `x / scale + offset` (e.g. 127.5, -1 → [-1, 1]) or `(x - mean) / std` per channel, x in 0..255. */
export type Normalize =
  | { scale: number; offset: number }
  | { mean: [number, number, number]; std: [number, number, number] };

/**
 * The preprocess.json contract (DESIGN.md). Version 1 also fixes what the file does not spell out:
 * alpha is flattened onto white, letterbox bars are black, resampling is sharp's lanczos3.
 */
export interface PreprocessSpec {
  version: 1;
  size: number;
  resize: ResizeMode;
  orient: true;
  colorSpace: 'srgb';
  normalize: Normalize;
  layout: 'NHWC';
}

/** Colour the alpha channel is flattened onto (white: how a transparent photo looks on a page). */
export const ALPHA_BACKGROUND = { r: 255, g: 255, b: 255 } as const;
/** Colour of letterbox bars. */
export const LETTERBOX_BACKGROUND = { r: 0, g: 0, b: 0 } as const;

export function specFromConfig(preprocess: PlantidConfig['preprocess']): PreprocessSpec {
  const n = preprocess.normalize;
  const normalize: Normalize =
    'scale' in n
      ? { scale: n.scale, offset: n.offset ?? 0 }
      : { mean: [...n.mean] as [number, number, number], std: [...n.std] as [number, number, number] };
  return {
    version: 1,
    size: preprocess.size,
    resize: preprocess.resize,
    orient: true,
    colorSpace: 'srgb',
    normalize,
    layout: 'NHWC',
  };
}

const resizeModes: readonly ResizeMode[] = ['center-crop', 'letterbox', 'stretch'];

/** Checks a parsed preprocess.json (from a bundle or a train output); throws UsageError naming the field. */
export function parseSpec(value: unknown, where = 'preprocess.json'): PreprocessSpec {
  const fail = (field: string, what: string): never => {
    throw new UsageError(`${field} ${what}`, {
      where,
      hint: 'regenerate it with `pipeline run` or fix the field',
    });
  };
  if (!value || typeof value !== 'object') fail('root', 'is not an object');
  const v = value as Record<string, unknown>;
  if (v.version !== 1) fail('version', `is ${JSON.stringify(v.version)}, this plantid reads version 1`);
  if (typeof v.size !== 'number' || !Number.isInteger(v.size) || v.size <= 0)
    fail('size', 'must be a positive integer');
  if (!resizeModes.includes(v.resize as ResizeMode))
    fail('resize', `must be one of ${resizeModes.join(', ')}`);
  if (v.orient !== true) fail('orient', 'must be true');
  if (v.colorSpace !== 'srgb') fail('colorSpace', "must be 'srgb'");
  if (v.layout !== 'NHWC') fail('layout', "must be 'NHWC'");
  const n = v.normalize as Record<string, unknown> | undefined;
  const isTriple = (x: unknown) =>
    Array.isArray(x) && x.length === 3 && x.every((e) => typeof e === 'number');
  let normalize: Normalize | undefined;
  if (n && typeof n.scale === 'number' && n.scale > 0 && typeof n.offset === 'number') {
    normalize = { scale: n.scale, offset: n.offset };
  } else if (n && isTriple(n.mean) && isTriple(n.std) && (n.std as number[]).every((s) => s > 0)) {
    normalize = { mean: n.mean as [number, number, number], std: n.std as [number, number, number] };
  } else {
    fail('normalize', 'must be { scale > 0, offset } or { mean: [3], std: [3 > 0] }');
  }
  return {
    version: 1,
    size: v.size as number,
    resize: v.resize as ResizeMode,
    orient: true,
    colorSpace: 'srgb',
    normalize: normalize!,
    layout: 'NHWC',
  };
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
