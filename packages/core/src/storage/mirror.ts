import { link, mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { listFilesRecursive } from '../hash.js';
import { mapPool } from '../helpers/pool.js';
import type { Storage, StoredObject } from './types.js';

/**
 * Brings every file below `prefix` of a storage into `localDir` (same relative paths), fetching
 * only what the local copy lacks or what changed (by size, and ETag through the download cache).
 * Files are hard-linked from the cache, so a mirror costs no second copy.
 */
export async function pullTree(
  storage: Storage,
  prefix: string,
  localDir: string,
  options: { skip?: (path: string) => boolean; concurrency?: number } = {},
): Promise<number> {
  const from = prefix ? `${prefix}/` : '';
  const objects = (await storage.list(prefix)).filter((o) => !options.skip?.(o.path.slice(from.length)));
  let fetched = 0;
  await mapPool(
    objects,
    async (o: StoredObject) => {
      const target = join(localDir, ...o.path.slice(from.length).split('/'));
      const have = await stat(target).catch(() => null);
      if (have?.isFile() && have.size === o.size) return;
      const cached = await storage.localCopy(o.path, o);
      await mkdir(dirname(target), { recursive: true });
      await link(cached, target).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      fetched++;
    },
    { concurrency: options.concurrency ?? 16 },
  );
  return fetched;
}

/**
 * Uploads every file of `localDir` below `prefix`, the files `last` names after all others: a
 * reader that finds the commit marker (`_stage.json`, `manifest.json`) finds everything it names.
 * `skip` leaves out files the storage already has; returns the count sent.
 */
export async function pushTree(
  localDir: string,
  storage: Storage,
  prefix: string,
  options: {
    last?: readonly string[] | ((path: string) => boolean);
    /** Called with the relative path and the local file: true leaves it out. */
    skip?: (path: string, file: string) => boolean | Promise<boolean>;
    concurrency?: number;
  } = {},
): Promise<number> {
  const all = await listFilesRecursive(localDir);
  const skipped = await Promise.all(all.map((f) => options.skip?.(f, join(localDir, f)) ?? false));
  const files = all.filter((_, i) => !skipped[i]);
  const last = options.last;
  const isLast = typeof last === 'function' ? last : (f: string) => (last ?? []).includes(f);
  const key = (f: string) => (prefix ? `${prefix}/${f}` : f);
  await mapPool(
    files.filter((f) => !isLast(f)),
    (f) => storage.upload(join(localDir, f), key(f)),
    { concurrency: options.concurrency ?? 8 },
  );
  for (const f of files.filter(isLast)) await storage.upload(join(localDir, f), key(f));
  return files.length;
}
