import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { hashDirectory } from '../hash.js';
import { ContractError } from './contract-error.js';
import { LABELS_FILE, type Label, readLabels } from './labels.js';
import { METRICS_FILE, type MetricsFile, readMetricsFile } from './metrics.js';
import { PREPROCESS_FILE, type PreprocessSpec, readPreprocessSpec } from './preprocess-spec.js';
import { readTrainRecord, TRAIN_RECORD_FILE, type TrainRecord } from './train-record.js';

/** The train stage's output, parsed: the model files, its labels and preprocess spec, and train.json. */
export interface TrainOutput {
  dir: string;
  /** Folder holding the tfjs model.json + weights. */
  modelDir: string;
  modelJson: string;
  /** The same model as ONNX (what evaluate runs); null when the converter refused it. */
  modelOnnx: string | null;
  /** Content hash of modelDir: what "the same trained model" means for re-publishing. */
  modelHash: string;
  labels: Label[];
  preprocess: PreprocessSpec;
  record: TrainRecord;
}

export const TRAIN_MODEL_DIR = 'model';
export const TRAIN_MODEL_ONNX = 'model.onnx';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

export async function readTrainOutput(dir: string): Promise<TrainOutput> {
  const hint = 'run the train stage again (pipeline run --from train)';
  const modelDir = join(dir, TRAIN_MODEL_DIR);
  const modelJson = join(modelDir, 'model.json');
  if (!(await exists(modelJson)))
    throw new ContractError(modelJson, '(file)', 'expected the trained model', { hint });
  const onnx = join(dir, TRAIN_MODEL_ONNX);
  return {
    dir,
    modelDir,
    modelJson,
    modelOnnx: (await exists(onnx)) ? onnx : null,
    modelHash: await hashDirectory(modelDir),
    labels: await readLabels(join(dir, LABELS_FILE), hint),
    preprocess: await readPreprocessSpec(join(dir, PREPROCESS_FILE)),
    record: await readTrainRecord(join(dir, TRAIN_RECORD_FILE)),
  };
}

/** The evaluate stage's output, parsed. */
export interface EvaluateOutput {
  dir: string;
  metricsPath: string;
  metrics: MetricsFile;
}

export async function readEvaluateOutput(dir: string): Promise<EvaluateOutput> {
  const metricsPath = join(dir, METRICS_FILE);
  return { dir, metricsPath, metrics: await readMetricsFile(metricsPath) };
}
