import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  download,
  type FetchOptions,
  fetchBytes,
  type Logger,
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
  const fetchOptions: FetchOptions = {
    what: 'backbone',
    userUrl: true,
    hints: {
      refused: 'check model.weights points at a tfjs model.json',
      unreachable:
        'offline? download model.json and its weight files yourself and set model.weights to the local model.json',
    },
    ...(options.log ? { log: options.log } : {}),
    ...(options.attempts ? { attempts: options.attempts } : {}),
    ...(options.backoffMs ? { backoffMs: options.backoffMs } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  const bytes = await fetchBytes(url, fetchOptions);
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
        await download(target, join(temp, path), { ...fetchOptions, what: `backbone ${path}` });
      }
    }
    await writeFileAtomic(join(temp, 'model.json'), bytes);
    await writeFileAtomic(join(temp, '.complete'), `${url}\n${actual}\n`);
  });
  options.log?.info(`backbone cached at ${dir}`);
  return { modelJson, downloaded: true };
}
