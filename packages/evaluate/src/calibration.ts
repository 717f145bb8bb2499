import { argmaxRow } from './metrics.js';

/** One bin of a reliability diagram: predictions whose confidence falls in (lo, hi]. */
export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  /** Mean confidence (top probability) in the bin; null when empty. */
  confidence: number | null;
  /** Share of correct predictions in the bin; null when empty. */
  accuracy: number | null;
}

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

/**
 * Temperature scaling of probabilities: softmax(log p / T). The model outputs softmax
 * probabilities, whose logs equal the logits up to a per-row constant that softmax cancels.
 */
export function applyTemperature(
  probs: Float32Array | number[],
  classes: number,
  temperature: number,
): Float32Array {
  const n = probs.length / classes;
  const out = new Float32Array(probs.length);
  for (let i = 0; i < n; i++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < classes; c++) {
      const z = Math.log(Math.max(probs[i * classes + c]!, 1e-30)) / temperature;
      out[i * classes + c] = z;
      if (z > max) max = z;
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(out[i * classes + c]! - max);
      out[i * classes + c] = e;
      sum += e;
    }
    for (let c = 0; c < classes; c++) out[i * classes + c]! /= sum;
  }
  return out;
}

function nll(
  logProbs: Float64Array,
  actual: readonly number[],
  classes: number,
  temperature: number,
): number {
  let total = 0;
  for (let i = 0; i < actual.length; i++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < classes; c++) max = Math.max(max, logProbs[i * classes + c]! / temperature);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logProbs[i * classes + c]! / temperature - max);
    total -= logProbs[i * classes + actual[i]!]! / temperature - max - Math.log(sum);
  }
  return total / Math.max(1, actual.length);
}

/**
 * The temperature minimising negative log-likelihood on held-out data (Guo et al. 2017),
 * by golden-section search over log T in [1/20, 20]; NLL is unimodal in T for fixed logits.
 */
export function fitTemperature(
  probs: Float32Array | number[],
  actual: readonly number[],
  classes: number,
): number {
  if (actual.length === 0) return 1;
  const logProbs = Float64Array.from(probs, (p) => Math.log(Math.max(p, 1e-30)));
  const f = (logT: number) => nll(logProbs, actual, classes, Math.exp(logT));
  let lo = Math.log(1 / 20);
  let hi = Math.log(20);
  const phi = (Math.sqrt(5) - 1) / 2;
  let x1 = hi - phi * (hi - lo);
  let x2 = lo + phi * (hi - lo);
  let f1 = f(x1);
  let f2 = f(x2);
  for (let iter = 0; iter < 60 && hi - lo > 1e-5; iter++) {
    if (f1 < f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - phi * (hi - lo);
      f1 = f(x1);
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + phi * (hi - lo);
      f2 = f(x2);
    }
  }
  return Math.exp((lo + hi) / 2);
}
