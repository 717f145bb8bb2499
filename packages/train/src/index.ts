export {
  type BackboneSplit,
  blockOf,
  buildFeatureExtractor,
  type FeatureExtractor,
  splitForFinetune,
} from './backbone/cut.js';
export { downloadBackbone } from './backbone/download.js';
export { findFeatureLayer, flattenLayers, spatialLayers } from './backbone/layers.js';
export { type BackboneSource, hashBackbone, loadBackboneModel, resolveBackbone } from './backbone/source.js';
export { nativeBackendAvailable } from './backend.js';
export { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
export { type DatasetInput, readDatasetInput } from './dataset-input.js';
export { VectorCache } from './embed/cache.js';
export { embedViews, type ImageItem } from './embed/compute.js';
export { createBackboneEngine } from './embed/embedder.js';
export { cacheFolder, poolingKey, viewKey } from './embed/keys.js';
export { finetuneModel, headModel } from './finetune.js';
export { Head, smoothedCrossEntropy } from './head.js';
export { type EpochRecord, evaluateSamples, type PhaseResult, type Samples, trainPhase } from './loop.js';
export { artefactName, backboneSlug } from './naming.js';
export { trainStage } from './stage.js';
export { type TrainHooks, trainModel } from './train-model.js';
export { checkBackboneInput, validateTrainConfig } from './validate.js';
