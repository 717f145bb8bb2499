import { applyTemperature, type Label, type SplitMetrics } from '@plantid/core';
import { expectedCalibrationError } from './calibration.js';
import {
  confusionMatrix,
  macroAverage,
  meanLogLoss,
  mostConfused,
  perClassMetrics,
  predictions,
  topKAccuracy,
  weightedAverage,
} from './metrics.js';

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
