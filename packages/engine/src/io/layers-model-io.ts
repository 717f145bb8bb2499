import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, writeDirAtomic, writeFileAtomic } from '@plantid/core';
import type * as tf from '@tensorflow/tfjs';

/**
 * tfjs, imported on first use: a process that only runs ONNX (the server and its inference
 * workers) never pays its ~60 MB. Loading a model is often the first tfjs call (config
 * validation, before a backend is chosen); PROD keeps the cpu backend's "install tfjs-node"
 * banner out of our one-line errors (selectTfjsBackend logs the backend choice and why instead).
 */
async function tfjs(): Promise<typeof tf> {
  const module = await import('@tensorflow/tfjs');
  module.env().set('PROD', true);
  return module;
}

interface WeightsGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: WeightsGroup[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: tf.io.TrainingConfig;
  userDefinedMetadata?: NonNullable<tf.io.ModelArtifacts['userDefinedMetadata']>;
}

const BYTES_PER: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
  complex64: 8,
};

function expectedBytes(weights: tf.io.WeightsManifestEntry[]): number {
  let total = 0;
  for (const w of weights) {
    const count = w.shape.reduce((a, b) => a * b, 1);
    const dtype = w.quantization?.dtype ?? w.dtype;
    total += count * (BYTES_PER[dtype] ?? 4);
  }
  return total;
}

/** A tfjs IOHandler reading model.json and its weight shards from the local file system. */
export function fileLoadHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    load: async (): Promise<tf.io.ModelArtifacts> => {
      const text = await readFile(modelJsonPath, 'utf8').catch((cause: NodeJS.ErrnoException) => {
        throw new UsageError(`cannot read tfjs model (${cause.code ?? cause.message})`, {
          where: modelJsonPath,
          hint: 'give the path of a tfjs layers model.json',
          cause,
        });
      });
      let json: ModelJson;
      try {
        json = JSON.parse(text) as ModelJson;
      } catch (cause) {
        throw new UsageError('model.json is not valid JSON', {
          where: modelJsonPath,
          hint: 'export the model again',
          cause,
        });
      }
      if (json.modelTopology == null || !Array.isArray(json.weightsManifest)) {
        throw new UsageError('not a tfjs layers model (modelTopology or weightsManifest missing)', {
          where: modelJsonPath,
          hint: 'graph models (tf.loadGraphModel) are not supported; export a layers model',
        });
      }
      const dir = dirname(modelJsonPath);
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Uint8Array[] = [];
      for (const group of json.weightsManifest) {
        const shards = await Promise.all(
          group.paths.map((p) =>
            readFile(join(dir, p)).catch((cause: NodeJS.ErrnoException) => {
              throw new UsageError(`weights file missing or unreadable (${cause.code ?? cause.message})`, {
                where: join(dir, p),
                hint: `it is listed in ${modelJsonPath}; copy it next to model.json`,
                cause,
              });
            }),
          ),
        );
        const size = shards.reduce((n, s) => n + s.byteLength, 0);
        const expected = expectedBytes(group.weights);
        if (size !== expected) {
          throw new UsageError(`weights are ${size} bytes but the manifest describes ${expected}`, {
            where: join(dir, group.paths[0] ?? ''),
            hint: 'the weights file is truncated or belongs to another model; export the model again',
          });
        }
        buffers.push(...shards);
        weightSpecs.push(...group.weights);
      }
      const weightData = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
      let offset = 0;
      for (const b of buffers) {
        weightData.set(b, offset);
        offset += b.byteLength;
      }
      const artifacts: tf.io.ModelArtifacts = {
        modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        weightSpecs,
        weightData: weightData.buffer,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? null,
      };
      if (json.trainingConfig) artifacts.trainingConfig = json.trainingConfig;
      if (json.userDefinedMetadata) artifacts.userDefinedMetadata = json.userDefinedMetadata;
      return artifacts;
    },
  };
}

/** A tfjs IOHandler writing model.json + weights.bin into `dir` atomically (the whole folder appears at once). */
export function fileSaveHandler(dir: string): tf.io.IOHandler {
  return {
    save: async (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
      const tf = await tfjs();
      const weightData =
        artifacts.weightData == null
          ? new Uint8Array(0)
          : new Uint8Array(
              tf.io.concatenateArrayBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[]),
            );
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      await writeDirAtomic(dir, async (temp) => {
        await writeFileAtomic(join(temp, 'weights.bin'), weightData);
        await writeFileAtomic(join(temp, 'model.json'), JSON.stringify(modelJson));
      });
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: weightData.byteLength,
        },
      };
    },
  };
}

function localPath(pathOrUrl: string): string | null {
  if (pathOrUrl.startsWith('file://')) return fileURLToPath(pathOrUrl);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(pathOrUrl)) return null;
  return resolve(pathOrUrl);
}

/**
 * Loads a tfjs layers model from a local model.json path (or file:// URL) in pure-JS tfjs,
 * which has no file system handler of its own. http(s) URLs go to tfjs' own fetch handler;
 * downloading with a cache and checksum is the caller's job (train's backbone loader).
 */
export async function loadLayersModel(pathOrUrl: string): Promise<tf.LayersModel> {
  const tf = await tfjs();
  const path = localPath(pathOrUrl);
  if (path == null) return tf.loadLayersModel(pathOrUrl);
  const info = await stat(path).catch(() => null);
  const file = info?.isDirectory() ? join(path, 'model.json') : path;
  return tf.loadLayersModel(fileLoadHandler(file));
}

/**
 * Saves a tfjs layers model as `dir/model.json` + `dir/weights.bin`. The folder is built
 * beside `dir` and renamed into place, so `dir` is never half-written; `dir` must be ours to
 * replace (a stage output), never a user's folder.
 */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(fileSaveHandler(dir));
}
