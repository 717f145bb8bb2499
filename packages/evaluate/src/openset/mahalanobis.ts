import { forwardSubstitute } from '@plantid/core';

/**
 * Mahalanobis fitting: class means and one shared covariance of the (L2-normalised) training
 * embeddings, shrunk toward a scaled identity by the Ledoit–Wolf rule (as scikit-learn's
 * `ledoit_wolf`), kept as its Cholesky factor L (LLᵀ = Σ) and the whitened means L⁻¹μ_c.
 */
export interface MahalanobisFit {
  dim: number;
  classes: number;
  shrinkage: number;
  /** L, dim × dim row-major, lower triangular. */
  cholesky: Float32Array;
  /** L⁻¹ μ_c per class, classes × dim. */
  means: Float32Array;
}

export function fitMahalanobis(
  rows: Float32Array,
  dim: number,
  labels: ArrayLike<number>,
  classes: number,
): MahalanobisFit {
  const n = labels.length;
  const means = new Float64Array(classes * dim);
  const counts = new Float64Array(classes);
  for (let r = 0; r < n; r++) {
    const c = labels[r]!;
    counts[c]!++;
    for (let i = 0; i < dim; i++) means[c * dim + i]! += rows[r * dim + i]!;
  }
  for (let c = 0; c < classes; c++)
    for (let i = 0; i < dim; i++) means[c * dim + i]! /= Math.max(1, counts[c]!);

  // Within-class centred samples: S = XᵀX / n (upper triangle), and Σ_k |x_k|⁴ for β.
  const cov = new Float64Array(dim * dim);
  const x = new Float64Array(dim);
  let sumSquaredNorms2 = 0;
  for (let r = 0; r < n; r++) {
    const c = labels[r]!;
    let norm2 = 0;
    for (let i = 0; i < dim; i++) {
      x[i] = rows[r * dim + i]! - means[c * dim + i]!;
      norm2 += x[i]! * x[i]!;
    }
    sumSquaredNorms2 += norm2 * norm2;
    for (let i = 0; i < dim; i++) {
      const xi = x[i]!;
      if (xi === 0) continue;
      const o = i * dim;
      for (let j = i; j < dim; j++) cov[o + j]! += xi * x[j]!;
    }
  }
  let trace = 0;
  let frob = 0; // Σ_ij S_ij², S = XᵀX / n
  for (let i = 0; i < dim; i++) {
    for (let j = i; j < dim; j++) {
      const v = cov[i * dim + j]! / n;
      cov[i * dim + j] = v;
      cov[j * dim + i] = v;
      frob += i === j ? v * v : 2 * v * v;
    }
    trace += cov[i * dim + i]!;
  }
  const mu = trace / dim;
  // scikit-learn's ledoit_wolf_shrinkage: β = (Σ|x|⁴/n − |S|²_F) / (p·n), δ = |S − μI|²_F / p, shrinkage min(β, δ) / δ.
  const delta = (frob - 2 * mu * trace + dim * mu * mu) / dim;
  const beta = Math.min(delta, (sumSquaredNorms2 / n - frob) / (dim * n));
  const shrinkage = delta === 0 ? 0 : Math.max(0, beta / delta);
  for (let i = 0; i < dim; i++)
    for (let j = 0; j < dim; j++)
      cov[i * dim + j] = (1 - shrinkage) * cov[i * dim + j]! + (i === j ? shrinkage * mu : 0);

  const l = Float32Array.from(cholesky(cov, dim));
  const whitenedMeans = new Float32Array(classes * dim);
  for (let c = 0; c < classes; c++)
    whitenedMeans.set(forwardSubstitute(l, dim, means.subarray(c * dim, (c + 1) * dim)), c * dim);
  return { dim, classes, shrinkage, cholesky: l, means: whitenedMeans };
}

/** Lower-triangular L with LLᵀ = a (a symmetric positive definite, row-major). */
export function cholesky(a: Float64Array, dim: number): Float64Array {
  const l = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * dim + j]!;
      for (let k = 0; k < j; k++) s -= l[i * dim + k]! * l[j * dim + k]!;
      if (i === j) {
        if (s <= 0) throw new Error(`covariance is not positive definite at ${i} (${s})`);
        l[i * dim + i] = Math.sqrt(s);
      } else l[i * dim + j] = s / l[j * dim + j]!;
    }
  }
  return l;
}
