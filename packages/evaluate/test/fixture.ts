import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  configSchema,
  createMemoryLogger,
  createRandom,
  DETAIL_LENGTH,
  hashJson,
  type PlantidConfigInput,
  packSignatures,
  readStageInputs,
  SIGNATURES_FILE,
  type StageContext,
  sha256,
  silentProgress,
  type Tracker,
  writeFileAtomic,
  writeJsonAtomic,
  writeTrainRecord,
} from '@plantid/core';
import { saveLayersModel } from '@plantid/engine';
import { layersModelToOnnx } from '@plantid/onnx-convert';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { type EvaluateInputs, evaluateStage } from '../src/index.js';

/** Labels sorted by name, as the dataset stage writes them. */
export const LABELS = [
  { index: 0, id: 'blue', name: 'Blue' },
  { index: 1, id: 'green', name: 'Green' },
  { index: 2, id: 'red', name: 'Red' },
];
/** RGB channel that carries each class's tint. */
const CHANNEL: Record<string, number> = { red: 0, green: 1, blue: 2 };
export const SIZE = 16;
/** Logit per unit of normalised channel mean (see `buildModel`). */
export const GAIN = 6;

/** Deterministic PRNG (core's mulberry32) so the constructed cases are the same every run. */
const rng = (seed: number) => createRandom(seed);

/**
 * A 32×32 PNG: a random 4×4 grid of grey blocks (so perceptual hashes differ) plus a tint on
 * the class channel; `decoy` adds a stronger tint of another class (an image the model gets wrong).
 */
async function image(random: () => number, label: string, decoy?: string): Promise<Buffer> {
  const raw = Buffer.alloc(32 * 32 * 3);
  const blocks = Array.from({ length: 16 }, () => 60 + Math.floor(random() * 120));
  for (let y = 0; y < 32; y++)
    for (let x = 0; x < 32; x++) {
      const g = blocks[Math.floor(y / 8) * 4 + Math.floor(x / 8)]!;
      for (let c = 0; c < 3; c++) {
        let v = g;
        if (c === CHANNEL[label]) v += decoy ? 40 : 55 + Math.floor(random() * 20);
        if (decoy && c === CHANNEL[decoy]) v += 65;
        raw[(y * 32 + x) * 3 + c] = Math.min(255, v);
      }
    }
  return sharp(raw, { raw: { width: 32, height: 32, channels: 3 } })
    .png()
    .toBuffer();
}

function hex64(random: () => number): string {
  return Array.from({ length: 16 }, () => Math.floor(random() * 16).toString(16)).join('');
}

/**
 * The tiny "trained" model: global average pool then dense(3, softmax) whose kernel maps each
 * RGB channel mean to its class logit × GAIN. A real tfjs layers model, saved with engine's IO.
 */
export function buildModel(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.globalAveragePooling2d({ inputShape: [SIZE, SIZE, 3], dataFormat: 'channelsLast' }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  const kernel = new Float32Array(9);
  for (const l of LABELS) kernel[CHANNEL[l.id]! * 3 + l.index] = GAIN;
  model.layers[1]!.setWeights([tf.tensor2d(kernel, [3, 3]), tf.zeros([3])]);
  return model;
}

export interface Fixture {
  root: string;
  photos: string;
  runsDir: string;
  datasetDir: string;
  trainDir: string;
  manifest: Record<string, unknown>[];
}

/** Photos, a dataset stage output and a train stage output, under a fresh temp folder. */
export async function buildFixture(): Promise<Fixture> {
  const root = await mkdtemp(join(tmpdir(), 'plantid-evaluate-'));
  const photos = join(root, 'photos');
  const runsDir = join(root, 'runs');
  const shared = join(root, 'stages');
  const datasetDir = join(shared, 'dataset');
  const trainDir = join(shared, 'train');
  const random = rng(42);
  const manifest: Record<string, unknown>[] = [];
  const plan: ['train' | 'val' | 'test', number, number][] = [
    ['train', 4, 0],
    ['val', 6, 1],
    ['test', 6, 2],
  ];
  for (const label of LABELS) {
    await mkdir(join(photos, label.id), { recursive: true });
    for (const [split, count, decoys] of plan) {
      for (let i = 0; i < count; i++) {
        const decoy = i < decoys ? LABELS[(label.index + 1) % 3]!.id : undefined;
        const name = `${split}-${i}${decoy ? `-looks-${decoy}` : ''}.png`;
        const bytes = await image(random, label.id, decoy);
        await writeFile(join(photos, label.id, name), bytes);
        manifest.push({
          id: `${label.id}-${split}-${i}`,
          path: `${label.id}/${name}`,
          label: label.name,
          labelId: label.id,
          split,
          width: 32,
          height: 32,
          format: 'png',
          phash: hex64(random),
          flags: [],
        });
      }
    }
  }
  await writeManifest(datasetDir, manifest);
  await writeJsonAtomic(join(datasetDir, 'labels.json'), LABELS);
  const model = buildModel();
  await saveLayersModel(model, join(trainDir, 'model'));
  await writeFileAtomic(join(trainDir, 'model.onnx'), layersModelToOnnx(model));
  model.dispose();
  await writeTrainRecord(join(trainDir, 'train.json'), trainRecord());
  await writeJsonAtomic(join(trainDir, 'labels.json'), LABELS);
  await writeJsonAtomic(join(trainDir, 'preprocess.json'), {
    version: 1,
    size: SIZE,
    resize: 'center-crop',
    orient: true,
    colorSpace: 'srgb',
    normalize: { scale: 127.5, offset: -1 },
    layout: 'NHWC',
  });
  return { root, photos, runsDir, datasetDir, trainDir, manifest };
}

/**
 * Writes manifest.jsonl and signatures.bin as the dataset stage does. Without `signatures`,
 * each record gets its own seeded random detail signature (unrelated pictures).
 */
export async function writeManifest(
  datasetDir: string,
  records: Record<string, unknown>[],
  signatures: Int8Array[] = randomSignatures(records.length),
): Promise<void> {
  await mkdir(datasetDir, { recursive: true });
  await writeFile(
    join(datasetDir, 'manifest.jsonl'),
    `${records.map((r) => JSON.stringify(r)).join('\n')}\n`,
  );
  await writeFile(join(datasetDir, SIGNATURES_FILE), packSignatures(signatures));
  await writeJsonAtomic(
    join(datasetDir, 'class_weights.json'),
    Object.fromEntries(LABELS.map((l) => [l.id, 1])),
  );
}

/** train.json as the train stage writes it (evaluate reads only its presence and shape). */
export function trainRecord() {
  const phase = {
    epochsRun: 1,
    bestEpoch: 1,
    bestValLoss: 0.5,
    bestValAcc: 0.9,
    stoppedEarly: false,
    resumedAfter: null,
    seconds: 0.1,
  };
  return {
    name: 'tint_test',
    created: new Date().toISOString(),
    seed: 42,
    hashes: {
      config: hashJson('config'),
      dataset: sha256('dataset'),
      backbone: sha256('backbone'),
      preprocess: hashJson('spec'),
    },
    backbone: {
      given: 'none',
      modelJson: 'none',
      family: 'tint',
      featureLayer: 'none',
      dim: 3,
      license: null,
      source: 'test fixture',
    },
    images: { train: 12, val: 18, undecodable: [] },
    embeddings: { views: 0, cached: 0, computed: 0, seconds: 0, engine: 'none' },
    backend: { head: 'cpu', finetune: null },
    phases: { head: phase, finetune: { skipped: 'test fixture' } },
    val: { acc: 0.9, loss: 0.5 },
    epochs: 1,
    seconds: 0.1,
  };
}

export function randomSignatures(count: number): Int8Array[] {
  const random = rng(7);
  return Array.from({ length: count }, () =>
    Int8Array.from({ length: DETAIL_LENGTH }, () => Math.round(random() * 254 - 127)),
  );
}

/** Records every tracker call, to assert what evaluate logs. */
export function recordingTracker(): Tracker & {
  metrics: Record<string, number>;
  artifacts: string[];
  tags: Record<string, string>;
} {
  const t = {
    metrics: {} as Record<string, number>,
    artifacts: [] as string[],
    tags: {} as Record<string, string>,
    logParams: async () => {},
    logMetrics: async (m: Record<string, number>) => void Object.assign(t.metrics, m),
    setTags: async (tags: Record<string, string>) => void Object.assign(t.tags, tags),
    logArtifact: async (_path: string, artifactPath?: string) => void t.artifacts.push(artifactPath ?? _path),
    registerModel: async () => {},
  };
  return t;
}

/** A StageContext like the runner builds: outDir is a fresh folder under runs/<runId>/. */
export async function stageContext(
  fx: Fixture,
  runId: string,
  overrides: Partial<PlantidConfigInput> = {},
  datasetDir = fx.datasetDir,
): Promise<
  StageContext<EvaluateInputs> & {
    log: ReturnType<typeof createMemoryLogger>;
    tracker: ReturnType<typeof recordingTracker>;
  }
> {
  const config = configSchema.parse({
    data: { root: fx.photos, nearDuplicate: { hamming: 6 } },
    model: { weights: 'unused/model.json' },
    preprocess: { size: SIZE },
    ...overrides,
  });
  const runDir = join(fx.runsDir, runId);
  const outDir = join(runDir, `.evaluate.tmp-${Math.random().toString(16).slice(2)}`);
  const workDir = join(fx.runsDir, '.work', `evaluate-${runId}`);
  await mkdir(outDir, { recursive: true });
  await mkdir(workDir, { recursive: true });
  const inputDirs = { dataset: datasetDir, train: fx.trainDir };
  return {
    config,
    configDir: fx.root,
    runId,
    runDir,
    outDir,
    workDir,
    cacheDir: join(fx.runsDir, '.cache'),
    inputs: await readStageInputs(evaluateStage, inputDirs, { config, configDir: fx.root }),
    inputDirs,
    log: createMemoryLogger(),
    progress: silentProgress,
    tracker: recordingTracker(),
    signal: new AbortController().signal,
  };
}
