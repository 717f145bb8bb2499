export { type DatasetRecord, type DatasetSummary, summariseDataset } from './card/data-summary.js';
export { cardMetrics, headlineMetrics, type ModelCardInput, renderModelCard } from './card/render.js';
export {
  assertParity,
  checkVariantParity,
  DEFAULT_PARITY_THRESHOLDS,
  type ParityCheckResult,
  type ParityInput,
  type ParityThresholds,
  type ParityVariant,
  type VariantParityResult,
} from './parity/parity.js';
export { type QuantizeStats, quantizeFp16 } from './quantize/fp16.js';
export { quantizeInt8 } from './quantize/int8.js';
export { type QuantizationReport, type QuantizeKind, quantizeVariants } from './quantize/quantize.js';
export { exportStage } from './stage/export-stage.js';
