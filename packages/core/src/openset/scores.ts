/**
 * The open-set scores on one image's model outputs. Every score is "higher = more like the
 * known classes", so one rule (score < threshold → not recognised) serves them all.
 */

/** `x / |x|` (a zero vector stays zero). */
export function l2Normalize(x: ArrayLike<number>): Float32Array {
  let n = 0;
  for (let i = 0; i < x.length; i++) n += x[i]! * x[i]!;
  const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! * inv;
  return out;
}

/** Every row of `rows` (n × dim) L2-normalised, in place. */
export function l2NormalizeRows(rows: Float32Array, dim: number): Float32Array {
  for (let o = 0; o < rows.length; o += dim) {
    let n = 0;
    for (let i = 0; i < dim; i++) n += rows[o + i]! * rows[o + i]!;
    const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
    for (let i = 0; i < dim; i++) rows[o + i]! *= inv;
  }
  return rows;
}

/**
 * kNN cosine: the mean of the `k` largest dot products between the normalised query and the
 * bank's rows (already normalised). k = 1 is the nearest training photo's cosine similarity.
 */
export function knnCosine(bank: Float32Array, dim: number, query: Float32Array, k = 1): number {
  const rows = bank.length / dim;
  const best = new Float64Array(Math.min(k, rows)).fill(Number.NEGATIVE_INFINITY);
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let i = 0;
    for (; i + 3 < dim; i += 4) {
      s0 += query[i]! * bank[o + i]!;
      s1 += query[i + 1]! * bank[o + i + 1]!;
      s2 += query[i + 2]! * bank[o + i + 2]!;
      s3 += query[i + 3]! * bank[o + i + 3]!;
    }
    for (; i < dim; i++) s0 += query[i]! * bank[o + i]!;
    const s = s0 + s1 + s2 + s3;
    if (s <= best[best.length - 1]!) continue;
    // Insert into the sorted (descending) top-k.
    let j = best.length - 1;
    while (j > 0 && best[j - 1]! < s) {
      best[j] = best[j - 1]!;
      j--;
    }
    best[j] = s;
  }
  let sum = 0;
  for (const b of best) sum += b;
  return sum / best.length;
}

/** y with L·y = x for lower-triangular L (dim × dim, row-major): y = L⁻¹x, the whitened x. */
export function forwardSubstitute(l: ArrayLike<number>, dim: number, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(dim);
  for (let i = 0; i < dim; i++) {
    const o = i * dim;
    let s = x[i]!;
    for (let k = 0; k < i; k++) s -= l[o + k]! * y[k]!;
    y[i] = s / l[o + i]!;
  }
  return y;
}

/**
 * Mahalanobis with a shared covariance Σ = LLᵀ, as a score: minus the smallest squared distance
 * to a class mean, |L⁻¹x − L⁻¹μ_c|². `cholesky` is L (dim × dim, row-major), `means` the class
 * means already whitened (classes × dim).
 */
export function mahalanobisScore(
  cholesky: Float32Array,
  means: Float32Array,
  dim: number,
  query: Float32Array,
): number {
  const y = forwardSubstitute(cholesky, dim, query);
  let best = Number.POSITIVE_INFINITY;
  for (let o = 0; o < means.length; o += dim) {
    let d = 0;
    for (let i = 0; i < dim; i++) {
      const v = y[i]! - means[o + i]!;
      d += v * v;
    }
    if (d < best) best = d;
  }
  return -best;
}

/** Maximum softmax probability (of probabilities already calibrated with the temperature). */
export function maxProbability(probabilities: ArrayLike<number>): number {
  let best = 0;
  for (let i = 0; i < probabilities.length; i++) if (probabilities[i]! > best) best = probabilities[i]!;
  return best;
}

/** Negative free energy T·logsumexp(z / T) of the logits (Liu et al. 2020): high for known classes. */
export function energyScore(logits: ArrayLike<number>, temperature: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]! / temperature);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! / temperature - max);
  return temperature * (max + Math.log(sum));
}
