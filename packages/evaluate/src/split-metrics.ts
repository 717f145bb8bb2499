import { applyTemperature } from '@plantid/core';
import { expectedCalibrationError, type ReliabilityBin } from './calibration.js';
import {
  type AveragedMetrics,
  type ClassMetrics,
  confusionMatrix,
  macroAverage,
  meanLogLoss,
  mostConfused,
  perClassMetrics,
  predictions,
  topKAccuracy,
  weightedAverage,
} from './metrics.js';

export interface Label {
  index: number;
  id: string;
  name: string;
}

/** Everything metrics.json holds about one split (test or val). */
export interface SplitMetrics {
  count: number;
  top1: number;
  /** Top-k accuracy per configured k, keyed by k. */
  topK: Record<string, number>;
  /** Mean cross-entropy of the true class. */
  logLoss: number;
  perClass: (ClassMetrics & { id: string; name: string })[];
  macro: AveragedMetrics;
  weighted: AveragedMetrics;
  /** `confusion[actual][predicted]`, in labels.json order. */
  confusion: number[][];
  mostConfused: { actual: string; predicted: string; count: number }[];
  ece: number;
  reliability: ReliabilityBin[];
  /** After dividing logits by the temperature fitted on val. */
  eceCalibrated: number;
  reliabilityCalibrated: ReliabilityBin[];
}

export const ECE_BINS = 15;

export function computeSplitMetrics(
  probs: Float32Array,
  actual: readonly number[],
  labels: readonly Label[],
  topK: readonly number[],
  temperature: number,
): SplitMetrics {
  const classes = labels.length;
  const predicted = predictions(probs, classes);
  const confusion = confusionMatrix(actual, predicted, classes);
  const perClass = perClassMetrics(confusion).map((m) => ({
    ...m,
    id: labels[m.index]!.id,
    name: labels[m.index]!.name,
  }));
  const before = expectedCalibrationError(probs, actual, classes, ECE_BINS);
  const after = expectedCalibrationError(
    applyTemperature(probs, classes, temperature),
    actual,
    classes,
    ECE_BINS,
  );
  const correct = predicted.filter((p, i) => p === actual[i]).length;
  return {
    count: actual.length,
    top1: actual.length ? correct / actual.length : 0,
    topK: Object.fromEntries(
      [...new Set(topK)]
        .sort((a, b) => a - b)
        .map((k) => [String(k), topKAccuracy(probs, actual, classes, k)]),
    ),
    logLoss: meanLogLoss(probs, actual, classes),
    perClass,
    macro: macroAverage(perClass),
    weighted: weightedAverage(perClass),
    confusion,
    mostConfused: mostConfused(confusion).map((p) => ({
      actual: labels[p.actual]!.name,
      predicted: labels[p.predicted]!.name,
      count: p.count,
    })),
    ece: before.ece,
    reliability: before.bins,
    eceCalibrated: after.ece,
    reliabilityCalibrated: after.bins,
  };
}
