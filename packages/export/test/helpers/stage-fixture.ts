import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  configSchema,
  createMemoryLogger,
  hashJson,
  type ManifestRecord,
  type MetricsFileInput,
  type PlantidConfig,
  type PlantidConfigInput,
  type Progress,
  readStageInputs,
  type SplitMetrics,
  type StageContext,
  sha256,
  type Tracker,
  writeJsonAtomic,
  writeManifest,
  writeMetricsFile,
  writeTrainRecord,
} from '@plantid/core';
import { saveLayersModel } from '@plantid/engine';
import * as tf from '@tensorflow/tfjs';
import { LEAF40, MOBILENET_JSON } from '../../../../test/support/shared.js';
import { tempDir } from '../../../bundle/test/helpers/fixtures.js';
import { type ExportInputs, exportStage } from '../../src/stage/export-stage.js';

export const dataRoot = LEAF40;
export const backboneJson = MOBILENET_JSON;

export const classFolders = ['1Hibiscus rosa-sinensis(HRS)', '2Psidium guajava(PG)', '5Moringa oleifera(MO)'];
export const classNames = ['Hibiscus rosa-sinensis', 'Psidium guajava', 'Moringa oleifera'];
const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');

/** A recording Tracker: the export stage's registerModel calls land here for the test to check. */
export function recordingTracker(): Tracker & {
  registered: { name: string; dir: string; alias?: string }[];
} {
  const registered: { name: string; dir: string; alias?: string }[] = [];
  return {
    registered,
    logParams: async () => {},
    logMetrics: async () => {},
    setTags: async () => {},
    logArtifact: async () => {},
    registerModel: async (name, dir, options) => {
      registered.push({ name, dir, ...(options?.alias ? { alias: options.alias } : {}) });
    },
  };
}

const silent: Progress = { tick() {}, setTotal() {}, stop() {} };

export interface StageFixture {
  work: string;
  config: PlantidConfig;
  inputDirs: Record<string, string>;
  registry: string;
  tracker: ReturnType<typeof recordingTracker>;
  /** A fresh StageContext (new outDir) over the same input folders, read anew. */
  context(): Promise<StageContext<ExportInputs> & { log: ReturnType<typeof createMemoryLogger> }>;
}

/**
 * Upstream outputs the export stage reads, made for real: a dataset manifest over real photos
 * from ../shared (3 classes × 8 images: 4 train, 1 val, 3 test), a small trained-shape tfjs
 * model saved with engine's saveLayersModel, and an evaluate metrics.json.
 */
export async function stageFixture(
  options: {
    size?: number;
    model?: (size: number, classes: number) => tf.LayersModel;
    config?: Partial<PlantidConfigInput>;
    evaluate?: boolean;
  } = {},
): Promise<StageFixture> {
  const size = options.size ?? 32;
  const work = await tempDir('plantid-export-stage-');
  const runDir = join(work, 'runs', 'r1');

  const datasetDir = join(runDir, 'dataset');
  await mkdir(datasetDir, { recursive: true });
  const records: ManifestRecord[] = [];
  for (const [c, folder] of classFolders.entries()) {
    const files = (await readdir(join(dataRoot, folder))).sort().slice(0, 8);
    for (const [i, file] of files.entries()) {
      const bytes = await readFile(join(dataRoot, folder, file));
      records.push({
        id: sha256(bytes),
        path: `${folder}/${file}`,
        label: folder,
        labelId: slug(classNames[c]!),
        split: i < 4 ? 'train' : i < 5 ? 'val' : 'test',
        file: join(dataRoot, folder, file),
        width: 256,
        height: 256,
        format: 'webp',
        bytes: bytes.length,
        source: 'ph-medicinal-leaf40',
        license: 'CC-BY-4.0',
        dateCollected: null,
        camera: null,
        location: null,
        phash: null,
        blur: null,
        flags: [],
        feedback: null,
      });
    }
  }
  await writeManifest(join(datasetDir, 'manifest.jsonl'), records);
  await writeJsonAtomic(join(datasetDir, 'labels.json'), labelsOf());
  await writeJsonAtomic(
    join(datasetDir, 'class_weights.json'),
    Object.fromEntries(labelsOf().map((l) => [l.id, 1])),
  );

  const labels = labelsOf();
  const trainDir = join(runDir, 'train');
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  const model =
    options.model?.(size, labels.length) ??
    tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [size, size, 3],
          filters: 8,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
        }),
        tf.layers.batchNormalization(),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.dropout({ rate: 0.2 }),
        tf.layers.dense({
          units: labels.length,
          activation: 'softmax',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
        }),
      ],
    });
  await saveLayersModel(model, join(trainDir, 'model'));
  model.dispose();
  await writeJsonAtomic(join(trainDir, 'labels.json'), labels);
  const preprocess = {
    version: 1,
    size,
    resize: 'center-crop',
    orient: true,
    colorSpace: 'srgb',
    normalize: { scale: 127.5, offset: -1 },
    layout: 'NHWC',
  };
  await writeJsonAtomic(join(trainDir, 'preprocess.json'), preprocess);
  await writeTrainRecord(join(trainDir, 'train.json'), trainRecord());

  const inputDirs: Record<string, string> = { dataset: datasetDir, train: trainDir };
  if (options.evaluate !== false) {
    const evaluateDir = join(runDir, 'evaluate');
    await writeMetricsFile(join(evaluateDir, 'metrics.json'), metricsFile(labels));
    inputDirs.evaluate = evaluateDir;
  }

  const config = configSchema.parse({
    data: { root: dataRoot },
    preprocess: { size },
    model: { name: 'leafnet', weights: backboneJson },
    export: { parity: { samples: 12 }, card: { weightsLicense: 'Apache-2.0' } },
    ...options.config,
  });
  const tracker = recordingTracker();
  let n = 0;
  return {
    work,
    config,
    inputDirs,
    registry: join(work, 'models'),
    tracker,
    async context() {
      n++;
      const outDir = join(runDir, `.export.tmp-${n}`);
      const workDir = join(work, 'runs', '.work', `export-${n}`);
      await mkdir(outDir, { recursive: true });
      await mkdir(workDir, { recursive: true });
      return {
        config,
        configDir: work,
        runId: 'r1',
        runDir,
        outDir,
        workDir,
        cacheDir: join(work, 'runs', '.cache'),
        inputs: await readStageInputs(exportStage, inputDirs, { config, configDir: work }),
        inputDirs,
        log: createMemoryLogger(),
        progress: () => silent,
        tracker,
        signal: new AbortController().signal,
      };
    },
  };
}

function labelsOf() {
  return classNames.map((name, index) => ({ index, id: slug(name), name }));
}

/** train.json as the train stage writes it, with the backbone facts export carries into the bundle. */
function trainRecord() {
  const phase = {
    epochsRun: 3,
    bestEpoch: 3,
    bestValLoss: 0.4,
    bestValAcc: 0.9,
    stoppedEarly: false,
    resumedAfter: null,
    seconds: 1,
  };
  return {
    name: 'leafnet_mobilenetv2_bs64_lr1e-3_e3',
    created: '2026-01-01T00:00:00.000Z',
    seed: 42,
    hashes: {
      config: hashJson('train'),
      dataset: sha256('dataset'),
      backbone: 'e'.repeat(64),
      preprocess: hashJson('spec'),
    },
    backbone: {
      given: backboneJson,
      modelJson: backboneJson,
      family: 'mobilenet_v2',
      featureLayer: 'out_relu',
      dim: 1280,
      license: 'Apache-2.0 (train.json)',
      source: backboneJson,
    },
    images: { train: 12, val: 3, undecodable: [] },
    embeddings: { views: 15, cached: 0, computed: 15, seconds: 1, engine: 'onnxruntime-node' },
    backend: { head: 'wasm', finetune: null },
    phases: { head: phase, finetune: { skipped: 'train.finetune.epochs or blocks is 0' } },
    val: { acc: 0.9, loss: 0.4 },
    epochs: 3,
    seconds: 2,
  };
}

/** An evaluate metrics.json: test top-1 8/9 and a calibration temperature of 1.21. */
function metricsFile(labels: { index: number; id: string; name: string }[]): MetricsFileInput {
  const split = (top1: number): SplitMetrics => ({
    count: 9,
    top1,
    topK: { '1': top1, '3': 1 },
    logLoss: 0.3,
    perClass: labels.map((l) => ({
      index: l.index,
      id: l.id,
      name: l.name,
      precision: 1,
      recall: 1,
      f1: 1,
      support: 3,
    })),
    macro: { precision: 0.9, recall: 0.9, f1: 0.9 },
    weighted: { precision: 0.9, recall: 0.9, f1: 0.9 },
    confusion: labels.map((a) => labels.map((p) => (a.index === p.index ? 3 : 0))),
    mostConfused: [],
    ece: 0.06,
    reliability: [],
    eceCalibrated: 0.04,
    reliabilityCalibrated: [],
  });
  return {
    version: 1,
    created: '2026-01-01T00:00:00.000Z',
    runId: 'r1',
    engine: 'onnxruntime-node',
    labels,
    topK: [1, 3],
    test: split(0.8889),
    val: split(1),
    calibration: {
      temperature: 1.21,
      fittedOn: 'val',
      bins: 15,
      ece: { test: { before: 0.06, after: 0.04 }, val: { before: 0.05, after: 0.03 } },
    },
    gate: { passed: true, checks: [] },
    leakage: { checked: 9, radius: 6, unhashed: 0, pairs: [] },
    skipped: [],
    previous: null,
  };
}
