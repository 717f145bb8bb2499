import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  isS3Uri,
  type LoadedConfig,
  type Logger,
  openStorage,
  type PlantidConfig,
  pullTree,
  pushTree,
  type Storage,
  sha256,
  storageCacheDir,
  UsageError,
} from '@plantid/core';

/**
 * `s3://` locations in a run's config, made local: the stages read and write folders, so a data
 * source on S3 is mirrored into the local cache first (only objects whose ETag changed are
 * fetched) and the stages read the mirror; an S3 registry is mirrored too, export publishes into
 * the mirror, and `publish()` pushes the new files back, each bundle's `manifest.json` last so a
 * reader that finds it finds the whole bundle.
 */
export interface LocalisedRun {
  /** The config with every s3:// location replaced by its local mirror (hash: the config as given). */
  loaded: LoadedConfig;
  /** Uploads what the run added to an S3 registry; a no-op when the registry is local. */
  publish(): Promise<number>;
}

const mirrorDir = (uri: string) => join(storageCacheDir(), 'mirror', sha256(uri).slice(0, 20));

async function mirror(
  uri: string,
  where: string,
  log: Logger,
  options: { mustHaveFiles: boolean },
): Promise<string> {
  const storage = openStorage(uri);
  await storage.check();
  const local = mirrorDir(uri);
  const fetched = await pullTree(storage, '', local, { prune: true });
  if (options.mustHaveFiles && (await storage.list()).length === 0)
    throw new UsageError(`${uri} holds no files`, {
      where,
      hint: 'upload the photos below that prefix (one folder per class) or fix the URI',
    });
  log.info(`mirrored ${uri} into ${local} (${fetched} objects fetched)`);
  return local;
}

export async function localiseRemotePaths(loaded: LoadedConfig, log: Logger): Promise<LocalisedRun> {
  const config = structuredClone(loaded.config) as PlantidConfig;
  if (isS3Uri(config.runsDir))
    throw new UsageError('runs on S3 are not supported: a run folder is written file by file', {
      where: 'runsDir',
      hint: 'keep runsDir on a local disk; put the photos (data.root) and the models (export.registry) on S3',
    });
  const data = config.data;
  if (data.root && isS3Uri(data.root))
    data.root = await mirror(data.root, 'data.root', log, { mustHaveFiles: true });
  for (const [i, source] of (data.sources ?? []).entries()) {
    const where = `data.sources[${i}]`;
    if (source.manifest && isS3Uri(source.manifest) && !isS3Uri(source.root))
      throw new UsageError('a manifest on S3 lists photos on S3', {
        where: `${where}.manifest`,
        hint: 'put the manifest below the source root, or both on disk',
      });
    if (!isS3Uri(source.root)) continue;
    const root = source.root;
    // A feedback store with no feedback yet is fine; a photo source with nothing in it is not.
    source.root = await mirror(root, where, log, { mustHaveFiles: !source.feedback });
    if (source.manifest && isS3Uri(source.manifest)) {
      const inside = source.manifest.startsWith(`${root.replace(/\/+$/, '')}/`);
      if (!inside)
        throw new UsageError('a manifest on S3 must sit below its source root', {
          where: `${where}.manifest`,
          hint: `move it below ${root}`,
        });
      source.manifest = join(
        source.root,
        ...source.manifest.slice(root.replace(/\/+$/, '').length + 1).split('/'),
      );
    }
  }

  let registry: Storage | null = null;
  let registryMirror = '';
  if (isS3Uri(config.export.registry)) {
    registry = openStorage(config.export.registry);
    registryMirror = await mirror(config.export.registry, 'export.registry', log, { mustHaveFiles: false });
    config.export.registry = registryMirror;
  }
  return {
    loaded: { ...loaded, config, hash: loaded.hash },
    async publish() {
      if (!registry) return 0;
      // A single-part upload's ETag is the MD5 of its bytes: a file S3 already holds is not sent again.
      const remote = new Map((await registry.list()).map((o) => [o.path, o.etag]));
      const pushed = await pushTree(registryMirror, registry, '', {
        skip: async (path, file) =>
          remote.get(path) ===
          createHash('md5')
            .update(await readFile(file))
            .digest('hex'),
        last: (path) => path.endsWith('/manifest.json'),
      });
      if (pushed > 0) log.info(`published ${pushed} files to ${registry.root}`);
      return pushed;
    },
  };
}
