import { DETAIL_SIDE } from '@plantid/core';
import { resizeArea } from './resample.js';

/**
 * Fine-detail signature used to confirm a pHash match: the 32×32 grey image minus its own
 * 2×2 block means (what is left is edges, veins, texture), unit-normalised and quantised to
 * int8. pHash alone only sees the low-frequency layout, and on photos of one object centred
 * on a plain background that layout is nearly the same for every photo; the detail
 * correlation tells a re-encoded copy (≈1) from another object in the same layout (≈0.2–0.6).
 */
export function detailSignature(grey: Float32Array, width: number, height: number): Int8Array {
  const S = DETAIL_SIDE;
  const small = resizeArea(grey, width, height, S, S);
  const residual = new Float32Array(S * S);
  for (let y = 0; y < S; y += 2) {
    for (let x = 0; x < S; x += 2) {
      const i = y * S + x;
      const mean = (small[i]! + small[i + 1]! + small[i + S]! + small[i + S + 1]!) / 4;
      for (const j of [i, i + 1, i + S, i + S + 1]) residual[j] = small[j]! - mean;
    }
  }
  let norm = 0;
  for (const v of residual) norm += v * v;
  norm = Math.sqrt(norm);
  const out = new Int8Array(S * S);
  if (norm === 0) return out;
  let max = 0;
  for (const v of residual) max = Math.max(max, Math.abs(v / norm));
  const scale = max > 0 ? 127 / max : 0;
  for (let i = 0; i < out.length; i++) out[i] = Math.round((residual[i]! / norm) * scale);
  return out;
}
