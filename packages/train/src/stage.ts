import { defineStage, readDatasetOutput } from '@plantid/core';
import { backboneFingerprint } from './backbone/source.js';
import { type TrainInputs, trainModel } from './train-model.js';
import { validateTrainConfig } from './validate.js';

/** The train stage: reads the dataset stage's output, writes model/, model.onnx, the open-set bank, labels.json, preprocess.json, history.json, train.json. */
export const trainStage = defineStage<TrainInputs>({
  name: 'train',
  description:
    'Transfer learning: cached backbone embeddings, head training, optional fine-tuning of the top blocks',
  version: '1',
  code: import.meta.url,
  needs: ['dataset'],
  readers: { dataset: readDatasetOutput },
  configKeys: ['seed', 'preprocess', 'augment', 'model', 'train'],
  outputs: [
    'model/model.json',
    'model.onnx',
    'openset-bank.f16',
    'labels.json',
    'preprocess.json',
    'history.json',
    'train.json',
  ],
  validate: validateTrainConfig,
  fingerprint: (config, configDir) => backboneFingerprint(config.model.weights, configDir),
  run: (ctx) => trainModel(ctx),
});
