import type { AveragedMetrics, ClassMetrics } from '@plantid/core';

/**
 * Classification metrics from predicted probabilities (n × classes, row-major) and true
 * class indices. Conventions follow scikit-learn's classification_report: precision of a
 * class never predicted is 0, macro = unweighted mean over classes, weighted = mean weighted by support.
 */
export interface ConfusedPair {
  actual: number;
  predicted: number;
  count: number;
}

/** Index of the largest value in row `i`. */
export function argmaxRow(probs: Float32Array | number[], classes: number, i: number): number {
  let best = 0;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < classes; c++) {
    const v = probs[i * classes + c]!;
    if (v > bestValue) {
      bestValue = v;
      best = c;
    }
  }
  return best;
}

export function predictions(probs: Float32Array | number[], classes: number): number[] {
  const n = probs.length / classes;
  return Array.from({ length: n }, (_, i) => argmaxRow(probs, classes, i));
}

/** `matrix[actual][predicted]` counts. */
export function confusionMatrix(
  actual: readonly number[],
  predicted: readonly number[],
  classes: number,
): number[][] {
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < actual.length; i++) matrix[actual[i]!]![predicted[i]!]!++;
  return matrix;
}

export function perClassMetrics(matrix: number[][]): ClassMetrics[] {
  const classes = matrix.length;
  return matrix.map((row, c) => {
    const tp = row[c]!;
    const support = row.reduce((a, b) => a + b, 0);
    let predictedAs = 0;
    for (let r = 0; r < classes; r++) predictedAs += matrix[r]![c]!;
    const precision = predictedAs === 0 ? 0 : tp / predictedAs;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { index: c, precision, recall, f1, support };
  });
}

export function macroAverage(perClass: ClassMetrics[]): AveragedMetrics {
  const n = perClass.length || 1;
  return {
    precision: perClass.reduce((a, m) => a + m.precision, 0) / n,
    recall: perClass.reduce((a, m) => a + m.recall, 0) / n,
    f1: perClass.reduce((a, m) => a + m.f1, 0) / n,
  };
}

export function weightedAverage(perClass: ClassMetrics[]): AveragedMetrics {
  const total = perClass.reduce((a, m) => a + m.support, 0) || 1;
  return {
    precision: perClass.reduce((a, m) => a + m.precision * m.support, 0) / total,
    recall: perClass.reduce((a, m) => a + m.recall * m.support, 0) / total,
    f1: perClass.reduce((a, m) => a + m.f1 * m.support, 0) / total,
  };
}

/** Share of rows whose true class is among the k most probable (ties broken by class order). */
export function topKAccuracy(
  probs: Float32Array | number[],
  actual: readonly number[],
  classes: number,
  k: number,
): number {
  if (actual.length === 0) return 0;
  let hits = 0;
  for (let i = 0; i < actual.length; i++) {
    const truth = actual[i]!;
    const p = probs[i * classes + truth]!;
    // Rank of the true class: classes strictly more probable, plus equal ones listed before it.
    let rank = 0;
    for (let c = 0; c < classes; c++) {
      const q = probs[i * classes + c]!;
      if (q > p || (q === p && c < truth)) rank++;
    }
    if (rank < k) hits++;
  }
  return hits / actual.length;
}

/** fastai's `most_confused`: off-diagonal cells with at least `minCount`, largest first. */
export function mostConfused(matrix: number[][], minCount = 1): ConfusedPair[] {
  const pairs: ConfusedPair[] = [];
  for (const [actual, row] of matrix.entries()) {
    for (const [predicted, count] of row.entries()) {
      if (actual !== predicted && count >= minCount) pairs.push({ actual, predicted, count });
    }
  }
  return pairs.sort((a, b) => b.count - a.count || a.actual - b.actual || a.predicted - b.predicted);
}

/** Mean negative log-likelihood of the true class (the cross-entropy loss). */
export function meanLogLoss(
  probs: Float32Array | number[],
  actual: readonly number[],
  classes: number,
): number {
  if (actual.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum -= Math.log(Math.max(probs[i * classes + actual[i]!]!, 1e-12));
  return sum / actual.length;
}
