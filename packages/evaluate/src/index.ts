export { type CalibrationResult, expectedCalibrationError } from './calibration.js';
export { evaluateRun } from './evaluate.js';
export { checkGate, describeFailures, type GateConfig } from './gate.js';
export { openTrainedModel, predictAll } from './inference.js';
export { type EvalItem, type EvaluateInputs, itemsOf } from './inputs.js';
export { findTrainTestLeaks, type LeakCheckRecord } from './leakage.js';
export {
  argmaxRow,
  confusionMatrix,
  macroAverage,
  meanLogLoss,
  mostConfused,
  perClassMetrics,
  predictions,
  topKAccuracy,
  weightedAverage,
} from './metrics.js';
export { findPreviousEvaluation } from './previous.js';
export { computeSplitMetrics } from './split-metrics.js';
export { evaluateStage } from './stage.js';
