import type { Hash64 } from '@plantid/core';
import { resizeArea } from './resample.js';

const N = 32;
const K = 8;

/** cos((2x+1)uπ/2N) for the first K frequencies, precomputed once. */
const cosTable = (() => {
  const table = new Float64Array(K * N);
  for (let u = 0; u < K; u++) {
    for (let x = 0; x < N; x++) table[u * N + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * N));
  }
  return table;
})();

/**
 * 64-bit perceptual hash (pHash, as in the `imagehash` library): grey image → 32×32 by
 * area averaging → 2-D DCT-II → the 8×8 lowest frequencies → one bit per coefficient
 * above their median. Robust to re-encoding, resizing and mild crops; bits are row-major,
 * most significant first.
 */
export function phashFromGrey(grey: Float32Array, width: number, height: number): Hash64 {
  const small = resizeArea(grey, width, height, N, N);
  // Separable DCT restricted to the K lowest frequencies: rows then columns.
  const rows = new Float64Array(N * K);
  for (let y = 0; y < N; y++) {
    for (let u = 0; u < K; u++) {
      let sum = 0;
      for (let x = 0; x < N; x++) sum += small[y * N + x]! * cosTable[u * N + x]!;
      rows[y * K + u] = sum;
    }
  }
  const coeffs = new Float64Array(K * K);
  for (let v = 0; v < K; v++) {
    for (let u = 0; u < K; u++) {
      let sum = 0;
      for (let y = 0; y < N; y++) sum += rows[y * K + u]! * cosTable[v * N + y]!;
      coeffs[v * K + u] = sum;
    }
  }
  const sorted = Array.from(coeffs).sort((a, b) => a - b);
  const median = (sorted[31]! + sorted[32]!) / 2;
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < 64; i++) {
    if (coeffs[i]! > median) {
      if (i < 32) hi |= 1 << (31 - i);
      else lo |= 1 << (63 - i);
    }
  }
  return { hi: hi >>> 0, lo: lo >>> 0 };
}
