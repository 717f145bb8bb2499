import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  configSchema,
  createMemoryLogger,
  type PlantidConfig,
  type PlantidConfigInput,
  type Progress,
  type StageContext,
  sha256,
  type Tracker,
  writeJsonAtomic,
} from '@plantid/core';
import { saveLayersModel } from '@plantid/engine';
import * as tf from '@tensorflow/tfjs';
import { LEAF40, MOBILENET_JSON } from '../../../../test/support/shared.js';
import type { DatasetRecord } from '../../src/card/data-summary.js';
import { tempDir } from './fixtures.js';

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
  inputs: Record<string, string>;
  registry: string;
  tracker: ReturnType<typeof recordingTracker>;
  /** A fresh StageContext (new outDir) over the same inputs. */
  context(): Promise<StageContext & { log: ReturnType<typeof createMemoryLogger> }>;
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
  const records: DatasetRecord[] = [];
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
        source: 'ph-medicinal-leaf40',
        license: 'CC-BY-4.0',
        flags: [],
      });
    }
  }
  await writeFile(
    join(datasetDir, 'manifest.jsonl'),
    `${records.map((r) => JSON.stringify(r)).join('\n')}\n`,
  );

  const labels = classNames.map((name, index) => ({ index, id: slug(name), name }));
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
  await writeJsonAtomic(join(trainDir, 'train.json'), {
    backbone: { name: 'mobilenet_v2', sha256: 'e'.repeat(64), license: 'Apache-2.0 (train.json)' },
  });

  const inputs: Record<string, string> = { dataset: datasetDir, train: trainDir };
  if (options.evaluate !== false) {
    const evaluateDir = join(runDir, 'evaluate');
    await writeJsonAtomic(join(evaluateDir, 'metrics.json'), {
      top1: 0.8889,
      top3: 1,
      calibration: { temperature: 1.21, ece: 0.04 },
    });
    inputs.evaluate = evaluateDir;
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
    inputs,
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
        inputs,
        log: createMemoryLogger(),
        progress: () => silent,
        tracker,
        signal: new AbortController().signal,
      };
    },
  };
}
