export { type CalibrationResult, expectedCalibrationError, type ReliabilityBin } from './calibration.js';
export { evaluateRun } from './evaluate.js';
export { checkGate, describeFailures, type GateCheck, type GateConfig, type GateResult } from './gate.js';
export { openTrainedModel, predictAll } from './inference.js';
export {
  argmaxRow,
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
export type { MetricsFile } from './metrics-file.js';
export { findPreviousEvaluation } from './previous.js';
export { computeSplitMetrics, type Label, type SplitMetrics } from './split-metrics.js';
export { evaluateStage } from './stage.js';
