import type { PreprocessSpec } from '@plantid/core';
import { normalizeCoefficients } from './spec.js';

/** Writes `rgb` (uint8 HWC) normalised per the spec into `out` starting at element `offset`. */
export function normalizeInto(rgb: Uint8Array, spec: PreprocessSpec, out: Float32Array, offset = 0): void {
  const { mul, add } = normalizeCoefficients(spec.normalize);
  const n = spec.size * spec.size * 3;
  if (rgb.length !== n) throw new Error(`expected ${n} RGB values for size ${spec.size}, got ${rgb.length}`);
  const [m0, m1, m2] = mul;
  const [a0, a1, a2] = add;
  for (let i = 0; i < n; i += 3) {
    out[offset + i] = rgb[i]! * m0 + a0;
    out[offset + i + 1] = rgb[i + 1]! * m1 + a1;
    out[offset + i + 2] = rgb[i + 2]! * m2 + a2;
  }
}

export function normalize(rgb: Uint8Array, spec: PreprocessSpec): Float32Array {
  const out = new Float32Array(spec.size * spec.size * 3);
  normalizeInto(rgb, spec, out, 0);
  return out;
}

/** Inverse of the normalisation, back to uint8 RGB (for previews and debugging). */
export function denormalize(tensor: Float32Array, spec: PreprocessSpec): Uint8Array {
  const { mul, add } = normalizeCoefficients(spec.normalize);
  const out = new Uint8Array(tensor.length);
  for (let i = 0; i < tensor.length; i++) {
    const c = i % 3;
    out[i] = Math.max(0, Math.min(255, Math.round((tensor[i]! - add[c]!) / mul[c]!)));
  }
  return out;
}
