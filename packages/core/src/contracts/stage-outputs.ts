import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { hashDirectory } from '../hash.js';
import { ContractError } from './contract-error.js';
import { LABELS_FILE, type Label, readLabels } from './labels.js';
import { METRICS_FILE, type MetricsFile, readMetricsFile } from './metrics.js';
import {
  type BankMeta,
  OPEN_SET_BANK_FILE,
  OPEN_SET_BANK_META_FILE,
  OPEN_SET_FILE,
  type OpenSetParams,
  openSetFiles,
  readBankMeta,
  readOpenSetParams,
} from './openset.js';
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
  /** The open-set bank (clean-view train embeddings); null from a train stage that wrote none. */
  bank: { file: string; meta: BankMeta } | null;
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
  const bankMeta = join(dir, OPEN_SET_BANK_META_FILE);
  const bank = (await exists(bankMeta))
    ? { file: join(dir, OPEN_SET_BANK_FILE), meta: await readBankMeta(bankMeta, hint) }
    : null;
  if (bank && !(await exists(bank.file)))
    throw new ContractError(bank.file, '(file)', 'expected the open-set bank openset-bank.json describes', {
      hint,
    });
  return {
    dir,
    modelDir,
    modelJson,
    modelOnnx: (await exists(onnx)) ? onnx : null,
    modelHash: await hashDirectory(modelDir),
    labels: await readLabels(join(dir, LABELS_FILE), hint),
    preprocess: await readPreprocessSpec(join(dir, PREPROCESS_FILE)),
    record: await readTrainRecord(join(dir, TRAIN_RECORD_FILE)),
    bank,
  };
}

/** The evaluate stage's output, parsed. */
export interface EvaluateOutput {
  dir: string;
  metricsPath: string;
  metrics: MetricsFile;
  /** openset.json and the files it names (absolute paths); null when evaluate fitted none. */
  openSet: { path: string; params: OpenSetParams; files: string[] } | null;
}

export async function readEvaluateOutput(dir: string): Promise<EvaluateOutput> {
  const hint = 'run the evaluate stage again (pipeline run --from evaluate)';
  const metricsPath = join(dir, METRICS_FILE);
  const openSetPath = join(dir, OPEN_SET_FILE);
  let openSet: EvaluateOutput['openSet'] = null;
  if (await exists(openSetPath)) {
    const params = await readOpenSetParams(openSetPath, hint);
    const files = openSetFiles(params).map((f) => join(dir, f));
    for (const file of files)
      if (!(await exists(file)))
        throw new ContractError(file, '(file)', 'expected the file openset.json names', { hint });
    openSet = { path: openSetPath, params, files };
  }
  return { dir, metricsPath, metrics: await readMetricsFile(metricsPath), openSet };
}
