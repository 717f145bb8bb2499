import { link, mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { listFilesRecursive } from '../hash.js';
import { mapPool } from '../helpers/pool.js';
import type { Storage, StoredObject } from './types.js';

/**
 * Brings every file below `prefix` of a storage into `localDir` (same relative paths), fetching
 * only what changed (by ETag, through the download cache). Files are hard-linked from the cache, so
 * a mirror costs no second copy, and a mirror file that is not the cached copy of the current
 * object (replaced, even at the same size) is linked again. With `prune`, files the storage no
 * longer has are removed from the mirror. Returns how many files were (re)linked.
 */
export async function pullTree(
  storage: Storage,
  prefix: string,
  localDir: string,
  options: { skip?: (path: string) => boolean; prune?: boolean; concurrency?: number } = {},
): Promise<number> {
  const from = prefix ? `${prefix}/` : '';
  const objects = (await storage.list(prefix)).filter((o) => !options.skip?.(o.path.slice(from.length)));
  let fetched = 0;
  await mapPool(
    objects,
    async (o: StoredObject) => {
      const target = join(localDir, ...o.path.slice(from.length).split('/'));
      const cached = await storage.localCopy(o.path, o);
      const [have, want] = await Promise.all([stat(target).catch(() => null), stat(cached)]);
      if (have?.isFile() && have.ino === want.ino && have.dev === want.dev) return;
      await mkdir(dirname(target), { recursive: true });
      await rm(target, { force: true });
      await link(cached, target);
      fetched++;
    },
    { concurrency: options.concurrency ?? 16 },
  );
  if (options.prune) {
    const wanted = new Set(objects.map((o) => o.path.slice(from.length)));
    const local = await listFilesRecursive(localDir).catch(() => [] as string[]);
    for (const f of local)
      if (!wanted.has(f) && !options.skip?.(f)) await rm(join(localDir, f), { force: true });
  }
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
