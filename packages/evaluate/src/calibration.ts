import type { ReliabilityBin } from '@plantid/core';
import { argmaxRow } from './metrics.js';

export interface CalibrationResult {
  ece: number;
  bins: ReliabilityBin[];
}

/**
 * Expected calibration error (Guo et al. 2017): confidences split into `binCount` equal-width
 * bins over [0, 1]; ECE = Σ (|bin| / n) · |accuracy(bin) − confidence(bin)|.
 */
export function expectedCalibrationError(
  probs: Float32Array | number[],
  actual: readonly number[],
  classes: number,
  binCount = 15,
): CalibrationResult {
  const sums = Array.from({ length: binCount }, () => ({ count: 0, confidence: 0, correct: 0 }));
  for (let i = 0; i < actual.length; i++) {
    const predicted = argmaxRow(probs, classes, i);
    const confidence = probs[i * classes + predicted]!;
    // (lo, hi] bins as in Guo et al.; confidence 0 goes to the first bin.
    const b = Math.min(binCount - 1, Math.max(0, Math.ceil(confidence * binCount) - 1));
    const bin = sums[b]!;
    bin.count++;
    bin.confidence += confidence;
    if (predicted === actual[i]) bin.correct++;
  }
  const n = actual.length || 1;
  let ece = 0;
  const bins = sums.map((s, b) => {
    if (s.count > 0) ece += (s.count / n) * Math.abs(s.correct / s.count - s.confidence / s.count);
    return {
      lo: b / binCount,
      hi: (b + 1) / binCount,
      count: s.count,
      confidence: s.count ? s.confidence / s.count : null,
      accuracy: s.count ? s.correct / s.count : null,
    };
  });
  return { ece, bins };
}
