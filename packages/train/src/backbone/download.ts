import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Logger,
  retry,
  sha256,
  UsageError,
  WorkError,
  writeDirAtomic,
  writeFileAtomic,
} from '@plantid/core';

export interface DownloadOptions {
  /** Where downloaded backbones live (`<cacheDir>/backbones/<hash of url>/`). */
  cacheDir: string;
  /** Expected sha256 of model.json; a mismatch refuses the download. */
  sha256?: string;
  log?: Logger;
  /** Attempts per file (default 4) with exponential backoff from `backoffMs` (default 500 ms). */
  attempts?: number;
  backoffMs?: number;
  fetch?: typeof fetch;
}

/** Status codes worth retrying; other 4xx mean the URL is wrong and retrying won't help. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/** GETs `url` with retries and exponential backoff; throws a one-line error naming the URL. */
export async function fetchBytes(
  url: string,
  options: Omit<DownloadOptions, 'cacheDir' | 'sha256'> = {},
): Promise<Uint8Array> {
  const attempts = options.attempts ?? 4;
  const doFetch = options.fetch ?? fetch;
  try {
    return await retry(
      async () => {
        const response = await doFetch(url, { signal: AbortSignal.timeout(60_000) });
        if (response.ok) return new Uint8Array(await response.arrayBuffer());
        if (!retryable(response.status)) {
          throw new UsageError(`cannot download backbone: HTTP ${response.status}`, {
            where: url,
            hint: 'check model.weights points at a tfjs model.json',
          });
        }
        throw new Error(`HTTP ${response.status}`);
      },
      {
        attempts,
        delayMs: options.backoffMs ?? 500,
        retryable: (error) => !(error instanceof UsageError),
        onRetry: (error, attempt, delay) =>
          options.log?.warn(`download failed (${describe(error)}); retrying in ${delay} ms`, {
            url,
            attempt,
          }),
      },
    );
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new WorkError(`cannot download backbone after ${attempts} attempts (${describe(error)})`, {
      where: url,
      hint: 'offline? download model.json and its weight files yourself and set model.weights to the local model.json',
    });
  }
}

interface ModelJsonShape {
  modelTopology?: unknown;
  weightsManifest?: { paths: string[] }[];
}

function parseModelJson(bytes: Uint8Array, where: string): Required<ModelJsonShape> {
  let json: ModelJsonShape;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes)) as ModelJsonShape;
  } catch {
    throw new UsageError('backbone model.json is not JSON', {
      where,
      hint: 'model.weights must point at a tfjs layers model.json',
    });
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new UsageError('not a tfjs layers model (modelTopology or weightsManifest missing)', {
      where,
      hint: 'model.weights must point at a tfjs layers model.json (graph models are not supported)',
    });
  }
  return json as Required<ModelJsonShape>;
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

/**
 * Downloads a tfjs layers model (model.json and every weight shard it lists, relative to it)
 * once into the cache and returns the local model.json path. A finished download is a folder
 * renamed into place, so a killed download leaves nothing half-written behind.
 */
export async function downloadBackbone(
  url: string,
  options: DownloadOptions,
): Promise<{ modelJson: string; downloaded: boolean }> {
  const dir = join(options.cacheDir, 'backbones', sha256(url).slice(0, 24));
  const modelJson = join(dir, 'model.json');
  if (await exists(join(dir, '.complete'))) {
    const cached = await readFile(modelJson);
    if (!options.sha256 || sha256(cached) === options.sha256) return { modelJson, downloaded: false };
  }
  options.log?.info(`downloading backbone ${url}`);
  const bytes = await fetchBytes(url, options);
  const actual = sha256(bytes);
  if (options.sha256 && actual !== options.sha256) {
    throw new WorkError(`backbone model.json sha256 is ${actual}, expected ${options.sha256}`, {
      where: url,
      hint: 'the file changed upstream or model.sha256 is wrong',
    });
  }
  const json = parseModelJson(bytes, url);
  await writeDirAtomic(dir, async (temp) => {
    for (const group of json.weightsManifest) {
      for (const path of group.paths) {
        const target = new URL(path, url).href;
        if (!target.startsWith(new URL('.', url).href)) {
          throw new UsageError(`weight path '${path}' leaves the model folder`, { where: url });
        }
        await writeFileAtomic(join(temp, path), await fetchBytes(target, options));
      }
    }
    await writeFileAtomic(join(temp, 'model.json'), bytes);
    await writeFileAtomic(join(temp, '.complete'), `${url}\n${actual}\n`);
  });
  options.log?.info(`backbone cached at ${dir}`);
  return { modelJson, downloaded: true };
}
