export type { Normalize, PreprocessSpec, ResizeMode, TtaView } from '@plantid/core';
export {
  type AugmentParams,
  type AugmentSpec,
  augmentFromConfig,
  augmentImage,
  augmentToRgb,
  drawAugmentParams,
  jitterColours,
  prepareAugmentSource,
  rotationSafeRect,
} from './augment.js';
export { type BatchOptions, type PreprocessedBatch, preprocessBatches } from './batches.js';
export { type DecodeOptions, decodeRgb, type RgbImage } from './decode.js';
export { ImageDecodeError } from './errors.js';
export { AUGMENT_IMPLEMENTATION, pixelPipelineId } from './implementation.js';
export { denormalize, normalize, normalizeInto } from './normalize.js';
export { preprocessImage, preprocessToRgb } from './preprocess-image.js';
export { type GridImage, renderAugmentGrid } from './preview.js';
export { viewSeed } from './random.js';
export { ALPHA_BACKGROUND, LETTERBOX_BACKGROUND, normalizeCoefficients, specFromConfig } from './spec.js';
export {
  averageViews,
  CLEAN_VIEW,
  isCleanView,
  preprocessView,
  preprocessViews,
  specViews,
  viewName,
  viewsToRgb,
  viewToRgb,
} from './views.js';
