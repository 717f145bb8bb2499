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
export {
  BestCheckpoint,
  Callback,
  EarlyStopping,
  EpochLogger,
  type EpochRecord,
  type LoopControl,
  ReduceLrOnPlateau,
} from './callbacks.js';
export { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
export { checkSplitSizes, type TrainingData, type TrainingRecord, trainingData } from './dataset-input.js';
export { VectorCache } from './embed/cache.js';
export { embedViews, type ImageItem } from './embed/compute.js';
export { createBackboneEngine } from './embed/embedder.js';
export { cacheFolder, poolingKey, viewKey } from './embed/keys.js';
export { finetuneModel, headModel } from './finetune.js';
export { Head, smoothedCrossEntropy } from './head.js';
export { type PhaseOptions, type PhaseResult, trainPhase } from './loop.js';
export { artefactName, backboneSlug } from './naming.js';
export { evaluateSamples, type Samples, type Trainable } from './samples.js';
export { trainStage } from './stage.js';
export { type TrainHooks, type TrainInputs, trainModel } from './train-model.js';
export { checkBackboneInput, validateTrainConfig } from './validate.js';
