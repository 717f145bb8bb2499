import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isUrl, type Logger, resolvePath, sha256, sha256File, UsageError, WorkError } from '@plantid/core';
import { fileLoadHandler, loadLayersModel } from '@plantid/engine';
import * as tf from '@tensorflow/tfjs';
import { downloadBackbone } from './download.js';
import { declaredInputSize, withInputSize } from './input-size.js';

export interface BackboneSource {
  /** Local model.json (downloaded into the cache when the config gives a URL). */
  modelJson: string;
  /** What the config said (path or URL). */
  given: string;
  /** sha256 over model.json and every weight file: the backbone's identity in cache keys and train.json. */
  hash: string;
}

export interface ResolveOptions {
  configDir: string;
  cacheDir: string;
  sha256?: string;
  log?: Logger;
  /** false: only check (validate); a URL that is not cached yet resolves to undefined. */
  download?: boolean;
}

async function localModelJson(path: string): Promise<string> {
  const info = await stat(path).catch(() => null);
  if (!info) {
    throw new UsageError(`backbone not found: ${path}`, {
      where: 'model.weights',
      hint: 'give the path of a tfjs layers model.json (or its folder), or an http(s) URL',
    });
  }
  return info.isDirectory() ? join(path, 'model.json') : path;
}

/** Hash of model.json and the weight shards it lists; also checks it is a layers model with its weights present. */
export async function hashBackbone(modelJson: string): Promise<string> {
  const text = await readFile(modelJson, 'utf8').catch(() => {
    throw new UsageError(`backbone model.json not found: ${modelJson}`, {
      where: 'model.weights',
      hint: 'give the path of a tfjs layers model.json',
    });
  });
  let json: { modelTopology?: unknown; weightsManifest?: { paths: string[] }[] };
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`backbone is not a tfjs layers model (not JSON): ${modelJson}`, {
      where: 'model.weights',
    });
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new UsageError(
      `backbone is not a tfjs layers model (modelTopology or weightsManifest missing): ${modelJson}`,
      {
        where: 'model.weights',
        hint: 'graph models (tf.loadGraphModel) are not supported; use a layers model.json',
      },
    );
  }
  const parts = [sha256(text)];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const file = join(dirname(modelJson), p);
      parts.push(
        await sha256File(file).catch(() => {
          throw new UsageError(`backbone weight file missing: ${file}`, {
            where: 'model.weights',
            hint: `it is listed in ${modelJson}`,
          });
        }),
      );
    }
  }
  return sha256(parts.join('\n'));
}

/** Resolves `model.weights` to a local, verified model.json (downloading a URL once into the cache). */
export async function resolveBackbone(
  weights: string,
  options: ResolveOptions & { download: false },
): Promise<BackboneSource | undefined>;
export async function resolveBackbone(weights: string, options: ResolveOptions): Promise<BackboneSource>;
export async function resolveBackbone(
  weights: string,
  options: ResolveOptions,
): Promise<BackboneSource | undefined> {
  const resolved = resolvePath({ configDir: options.configDir }, weights);
  let modelJson: string;
  if (isUrl(resolved) && !resolved.startsWith('file://')) {
    if (!/^https?:\/\//i.test(resolved))
      throw new UsageError(`unsupported URL scheme: ${resolved}`, {
        where: 'model.weights',
        hint: 'use http(s):// or a local path',
      });
    if (options.download === false) return undefined;
    modelJson = (
      await downloadBackbone(resolved, {
        cacheDir: options.cacheDir,
        sha256: options.sha256,
        log: options.log,
      })
    ).modelJson;
  } else {
    modelJson = await localModelJson(resolved.startsWith('file://') ? new URL(resolved).pathname : resolved);
    if (options.sha256) {
      const actual = sha256(await readFile(modelJson));
      if (actual !== options.sha256) {
        throw new UsageError(`backbone model.json sha256 is ${actual}, expected ${options.sha256}`, {
          where: 'model.sha256',
          hint: modelJson,
        });
      }
    }
  }
  return { modelJson, given: weights, hash: await hashBackbone(modelJson) };
}

/**
 * What the train stage's cache key sees of the backbone beyond its config: the content hash of a
 * local model.json and its weights (replacing them retrains). A URL is pinned by itself and
 * `model.sha256` in the config, so it adds nothing (and the key does not change once it is downloaded).
 */
export async function backboneFingerprint(weights: string, configDir: string): Promise<string | null> {
  const resolved = resolvePath({ configDir }, weights);
  if (isUrl(resolved) && !resolved.startsWith('file://')) return null;
  // A local path never touches the download cache, so no cache folder is needed here.
  const source = await resolveBackbone(weights, { configDir, cacheDir: configDir, download: false });
  return source?.hash ?? null;
}

export interface LoadBackboneOptions {
  /** The size the pipeline feeds (preprocess.size). */
  size?: number;
  /** Rebuild a fixed-size input at `size` (model.resizeInput). */
  resizeInput?: boolean;
  log?: Logger;
}

/**
 * Loads the backbone's layers model; errors name the file. With `resizeInput`, a backbone saved
 * for another input size is rebuilt at `size` (a network that is not fully convolutional refuses).
 */
export async function loadBackboneModel(
  source: BackboneSource,
  options: LoadBackboneOptions = {},
): Promise<tf.LayersModel> {
  const { size, resizeInput } = options;
  let rebuildAt: number | undefined;
  if (size != null && resizeInput) {
    const declared = declaredInputSize(JSON.parse(await readFile(source.modelJson, 'utf8')).modelTopology);
    if (declared && (declared[0] !== size || declared[1] !== size)) rebuildAt = size;
  }
  try {
    if (rebuildAt == null) return await loadLayersModel(source.modelJson);
    const model = await tf.loadLayersModel(withInputSize(fileLoadHandler(source.modelJson), rebuildAt));
    options.log?.info(`backbone input rebuilt at ${rebuildAt}×${rebuildAt} (model.resizeInput)`);
    return model;
  } catch (error) {
    if (error instanceof UsageError || error instanceof WorkError) throw error;
    const message = (error as Error).message.split('\n')[0];
    if (rebuildAt != null)
      throw new UsageError(
        `the backbone cannot run at ${rebuildAt}×${rebuildAt} (not fully convolutional: ${message})`,
        {
          where: source.modelJson,
          hint: 'set preprocess.size to the size it was saved for, or model.resizeInput: false',
          cause: error,
        },
      );
    throw new UsageError(`cannot load backbone as a tfjs layers model: ${message}`, {
      where: source.modelJson,
      cause: error,
    });
  }
}
