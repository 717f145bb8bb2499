// Bundles, model card, registry, export stage (bundle/registry developer).
export { BundleError, type BundleErrorCode } from './bundle/bundle-error.js';
export { type BundleLabel, bundleLabelsSchema } from './bundle/labels.js';
export {
  BUNDLE_FILES,
  BUNDLE_SCHEMA_VERSION,
  type ModelVariant,
  ONNX_VARIANT_FILES,
  ONNX_VARIANTS,
  type OnnxVariant,
} from './bundle/layout.js';
export type { BundleManifest, ParityResult, VariantParity } from './bundle/manifest.js';
export { type Bundle, type BundleMetrics, readBundle } from './bundle/read.js';
export { type BundleInput, writeBundle } from './bundle/write.js';
export { type DatasetRecord, type DatasetSummary, summariseDataset } from './card/data-summary.js';
export { headlineMetrics, type ModelCardInput, renderModelCard } from './card/render.js';
// Quantisation and parity (engine developer).
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
export { type AliasEvent, type AliasesFile, readAliases } from './registry/aliases.js';
export {
  type AliasMove,
  findPublished,
  listModels,
  listVersions,
  nextVersion,
  type PublishResult,
  promote,
  publishBundle,
  type RegistryModel,
  type RegistryVersion,
  resolveBundle,
  rollback,
  VersionTakenError,
} from './registry/registry.js';
export { exportStage } from './stage/export-stage.js';
