import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createMemoryLogger,
  parsePreprocessSpec as parseSpec,
  type Tracker,
  UsageError,
} from '@plantid/core';
import { createEngine, loadLayersModel } from '@plantid/engine';
import { layersModelToOnnx } from '@plantid/onnx-convert';
import { augmentFromConfig, preprocessImage, specFromConfig } from '@plantid/preprocess';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cacheFolder,
  type EpochRecord,
  hashBackbone,
  trainModel,
  trainStage,
  VectorCache,
  viewKey,
} from '../src/index.js';
import { smallConfig } from './fixtures/small-config.js';
import { backboneJson, datasetRoot, makeContext, repoRoot, writeDatasetOutput } from './helpers.js';

function memoryTracker(): Tracker & { metrics: { step?: number; metrics: Record<string, number> }[] } {
  const metrics: { step?: number; metrics: Record<string, number> }[] = [];
  return {
    metrics,
    logParams: async () => {},
    logMetrics: async (m, step) => {
      metrics.push({ step, metrics: m });
    },
    setTags: async () => {},
    logArtifact: async () => {},
    registerModel: async () => {},
  };
}

const readJson = async <T>(path: string): Promise<T> => JSON.parse(await readFile(path, 'utf8')) as T;

describe('train stage', () => {
  let datasetDir: string;
  let cacheDir: string;
  let first: { outDir: string; lines: string[]; tracker: ReturnType<typeof memoryTracker> };

  beforeAll(async () => {
    const base = await mkdtemp(join(tmpdir(), 'train-stage-'));
    datasetDir = (
      await writeDatasetOutput(join(base, 'dataset'), { classes: 3, perClass: 10, val: 0.3, test: 0.1 })
    ).dir;
    cacheDir = join(base, 'cache');
    const log = createMemoryLogger();
    const tracker = memoryTracker();
    const ctx = await makeContext(smallConfig(), {
      base: join(base, 'first'),
      datasetDir,
      cacheDir,
      log,
      tracker,
    });
    await trainModel(ctx);
    first = { outDir: ctx.outDir, lines: log.lines, tracker };
  });

  it('writes the full model, labels, preprocess spec, history and a descriptive train.json', async () => {
    const train = await readJson<{
      name: string;
      hashes: Record<string, string>;
      embeddings: { computed: number };
    }>(join(first.outDir, 'train.json'));
    expect(train.name).toMatch(/^plant_mobilenetv2-0\.35_bs16_lr3e-3_e\d+$/);
    expect(train.hashes.backbone).toBe(await hashBackbone(backboneJson));
    expect(train.hashes.dataset).toMatch(/^[0-9a-f]{64}$/);
    expect(train.embeddings.computed).toBe(2 * 3 * 6 + 3 * 3); // train: clean + 1 view; val: clean
    const labels = await readJson<{ index: number; id: string }[]>(join(first.outDir, 'labels.json'));
    expect(labels.map((l) => l.index)).toEqual([0, 1, 2]);
    const history = await readJson<EpochRecord[]>(join(first.outDir, 'history.json'));
    expect(history.map((h) => h.epoch)).toEqual([1, 2, 3, 4]);
    expect(first.tracker.metrics.map((m) => m.step)).toEqual([1, 2, 3, 4]);
    expect(Object.keys(first.tracker.metrics[0]!.metrics)).toEqual(
      expect.arrayContaining(['loss', 'acc', 'val_loss', 'val_acc', 'lr']),
    );
    const epochLines = first.lines.filter((l) => l.includes('head epoch'));
    expect(epochLines).toHaveLength(4);
    expect(JSON.parse(epochLines[0]!).msg).toMatch(
      /head epoch 1\/4 +loss [\d.]+ +acc [\d.]+ +val_loss [\d.]+ +val_acc [\d.]+ +lr [\d.e+-]+ +\d+ img\/s .*ETA/,
    );
    const model = await loadLayersModel(join(first.outDir, 'model/model.json'));
    expect(model.inputs[0]!.shape).toEqual([null, 224, 224, 3]);
    expect(model.outputs[0]!.shape).toEqual([null, 3]);
  });

  it('gives the same tensors and probabilities on the train, evaluate and serve paths', async () => {
    const config = smallConfig();
    const records = (await readFile(join(datasetDir, 'manifest.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const val = records.find((r) => r.split === 'val')!;
    const bytes = await readFile(join(datasetRoot, val.path));
    // Train embedded preprocessImage(bytes, specFromConfig(config)); evaluate and serve read preprocess.json.
    const trainSpec = specFromConfig(config.preprocess);
    const shipped = parseSpec(await readJson(join(first.outDir, 'preprocess.json')));
    expect(shipped).toEqual(trainSpec);
    const trainTensor = await preprocessImage(bytes, trainSpec);
    const servedTensor = await preprocessImage(Uint8Array.from(bytes), shipped);
    expect(Buffer.from(servedTensor.buffer).equals(Buffer.from(trainTensor.buffer))).toBe(true);
    // The saved full model on that tensor agrees with the head on the cached embedding train used.
    const model = await loadLayersModel(join(first.outDir, 'model/model.json'));
    const cache = await VectorCache.open(
      join(cacheDir, 'embeddings', cacheFolder(await hashBackbone(backboneJson), 'out_relu', 'pooled')),
      1280,
    );
    const embedding = cache.get(
      viewKey({
        imageId: val.id,
        spec: trainSpec,
        aug: augmentFromConfig(config.augment),
        seed: config.seed,
        view: 0,
      }),
    )!;
    expect(embedding).toBeDefined();
    const headOnly = model.getLayer('head') as tf.LayersModel;
    const fromCache = (headOnly.predict(tf.tensor2d(embedding, [1, 1280])) as tf.Tensor).dataSync();
    const fromModel = (model.predict(tf.tensor4d(servedTensor, [1, 224, 224, 3])) as tf.Tensor).dataSync();
    const onnx = await createEngine({ kind: 'onnx', model: layersModelToOnnx(model) });
    const fromOnnx = await onnx.predict(servedTensor, 1);
    for (let k = 0; k < 3; k++) {
      expect(fromModel[k]).toBeCloseTo(fromCache[k]!, 4);
      expect(fromOnnx[k]).toBeCloseTo(fromCache[k]!, 4);
    }
  });

  it('recomputes no embeddings on a rerun with the same config, and trains identically', async () => {
    const base = await mkdtemp(join(tmpdir(), 'train-rerun-'));
    const log = createMemoryLogger();
    const ctx = await makeContext(smallConfig(), { base, datasetDir, cacheDir, log });
    await trainModel(ctx);
    const cacheLine = log.lines
      .map((l) => JSON.parse(l))
      .find((l) => String(l.msg).startsWith('embeddings:'));
    expect(cacheLine).toMatchObject({ cacheHits: 45, toCompute: 0 });
    const train = await readJson<{ embeddings: { computed: number; cached: number } }>(
      join(ctx.outDir, 'train.json'),
    );
    expect(train.embeddings).toMatchObject({ computed: 0, cached: 45 });
    const a = await readJson<EpochRecord[]>(join(first.outDir, 'history.json'));
    const b = await readJson<EpochRecord[]>(join(ctx.outDir, 'history.json'));
    expect(b.map((h) => [h.loss, h.val_loss, h.acc])).toEqual(a.map((h) => [h.loss, h.val_loss, h.acc]));
  });

  it('resumes from the last checkpoint after being killed mid-phase-1', async () => {
    const base = await mkdtemp(join(tmpdir(), 'train-kill-'));
    const workDir = join(base, 'work');
    const runChild = (pause: boolean, onLine?: (line: string, kill: () => void) => void) =>
      new Promise<{ lines: string[]; signal: NodeJS.Signals | null }>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            '--conditions=@plantid/source',
            '--import',
            'tsx',
            join(import.meta.dirname, 'fixtures/train-child.ts'),
            base,
            datasetDir,
            cacheDir,
            workDir,
            pause ? '1' : '0',
          ],
          { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
        );
        const lines: string[] = [];
        let buffer = '';
        child.stdout.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          let i = buffer.indexOf('\n');
          while (i >= 0) {
            const line = buffer.slice(0, i);
            buffer = buffer.slice(i + 1);
            lines.push(line);
            onLine?.(line, () => child.kill('SIGKILL'));
            i = buffer.indexOf('\n');
          }
        });
        child.on('error', reject);
        child.on('exit', (_code, signal) => resolve({ lines, signal }));
      });
    const killed = await runChild(true, (line, kill) => {
      if (line.includes('"checkpoint":"head"')) kill();
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.lines.some((l) => l.includes('"summary"'))).toBe(false);
    const resumed = await runChild(false);
    const messages = resumed.lines.map((l) => JSON.parse(l));
    expect(messages.find((m) => String(m.msg).startsWith('head: resuming after epoch 1/4'))).toBeDefined();
    expect(messages.filter((m) => 'checkpoint' in m).map((m) => m.epoch)).toEqual([2, 3, 4]);
    expect(messages.find((m) => String(m.msg).startsWith('embeddings:'))).toMatchObject({ toCompute: 0 });
    // Resuming loses nothing: the history matches the uninterrupted run's.
    const history = await readJson<EpochRecord[]>(join(base, 'out', 'history.json'));
    const uninterrupted = await readJson<EpochRecord[]>(join(first.outDir, 'history.json'));
    expect(history.map((h) => [h.epoch, h.loss, h.val_loss])).toEqual(
      uninterrupted.map((h) => [h.epoch, h.loss, h.val_loss]),
    );
  });

  it('refuses a split with a class that has no training image before any work', async () => {
    const base = await mkdtemp(join(tmpdir(), 'train-few-'));
    const dir = (await writeDatasetOutput(join(base, 'dataset'), { classes: 2, perClass: 1, val: 1 })).dir;
    const ctx = await makeContext(smallConfig(), { base, datasetDir: dir, cacheDir: join(base, 'cache') });
    const error = await trainModel(ctx).catch((e) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.toLine()).toMatch(/too few images: 2 class\(es\) have no training image/);
  });

  it('is a stage the pipeline can run after the dataset stage', () => {
    expect(trainStage).toMatchObject({
      name: 'train',
      needs: ['dataset'],
      configKeys: ['seed', 'preprocess', 'augment', 'model', 'train'],
    });
    expect(typeof trainStage.validate).toBe('function');
  });
});
