export { BundleError, type BundleErrorCode } from './bundle-error.js';
export {
  BUNDLE_FILES,
  type ModelVariant,
  ONNX_VARIANT_FILES,
  ONNX_VARIANTS,
  type OnnxVariant,
} from './layout.js';
export { type Bundle, type BundleMetrics, bundleMetricsSchema, readBundle } from './read.js';
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
export { type BundleInput, writeBundle } from './write.js';
