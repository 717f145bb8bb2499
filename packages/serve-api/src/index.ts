export { type BatchedResult, type BatcherOptions, MicroBatcher, type Ticket } from './batcher.js';
export {
  type ApiError,
  ERROR_CATALOGUE,
  type ErrorCode,
  errorResponses,
  errors,
  isApiError,
} from './errors.js';
export {
  FEEDBACK_FILE,
  FEEDBACK_IMAGES,
  type FeedbackLocation,
  type FeedbackRecord,
  FeedbackStore,
  stripMetadata,
} from './feedback-store.js';
export { type CheckedImage, checkImage, type ImageLimits } from './image-check.js';
export { type InferenceResult, inferImage } from './infer.js';
export {
  type EngineKind,
  loadServingModel,
  type ModelLoadOptions,
  type OnnxVariant,
  ServingModel,
} from './model.js';
export { type PlantidOptions, plantid } from './plugin.js';
export { calibrate, type Label, type Prediction, topK } from './predictions.js';
export { parsePort, runServeCommand, type ServeFlags } from './serve-command.js';
export {
  DEFAULT_LOGGER,
  type RunningServer,
  type StartOptions,
  serverOptions,
  startServer,
} from './server.js';
export { PlantidService } from './service.js';
export {
  resolveServeSettings,
  SERVE_ENV_VARS,
  type ServeSettings,
  type SettingsSources,
} from './settings.js';
export { type SniffedFormat, sniffImageFormat } from './sniff.js';
