import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  isImageFile,
  listFilesRecursive,
  mapPool,
  type NegativeRecord,
  type PlantidConfig,
  sha256,
  UsageError,
} from '@plantid/core';
import type { Notice } from './types.js';

type DataConfig = PlantidConfig['data'];

interface NegativeFile {
  source: string;
  root: string;
  path: string;
  file: string;
  group: string;
}

/** `data.negatives` resolved: each folder must exist (exit 2 naming `data.negatives[i]`). */
export async function negativeFolders(data: DataConfig, configDir: string): Promise<string[]> {
  const folders: string[] = [];
  for (const [i, given] of data.negatives.entries()) {
    const root = resolve(configDir, given);
    const info = await stat(root).catch(() => null);
    if (!info?.isDirectory())
      throw new UsageError(`negatives folder ${root} does not exist`, {
        where: `data.negatives[${i}]`,
        hint: 'point it at a folder of photos that are none of the classes (relative to config.yaml)',
      });
    folders.push(root);
  }
  return folders;
}

/** Every image file below the negatives folders, in a stable order, with its group (`<folder>` or `<folder>/<sub-folder>`). */
export async function listNegatives(data: DataConfig, configDir: string): Promise<NegativeFile[]> {
  const files: NegativeFile[] = [];
  for (const root of await negativeFolders(data, configDir)) {
    const source = basename(root);
    for (const path of await listFilesRecursive(root)) {
      if (!isImageFile(path) || path.split('/').some((part) => part.startsWith('.'))) continue;
      const top = path.includes('/') ? path.slice(0, path.indexOf('/')) : null;
      files.push({ source, root, path, file: join(root, path), group: top ? `${source}/${top}` : source });
    }
  }
  return files;
}

/** Paths, sizes and mtimes of the negatives: what the dataset stage's cache key sees of them. */
export async function negativesFingerprint(data: DataConfig, configDir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const f of await listNegatives(data, configDir)) {
    const info = await stat(f.file).catch(() => null);
    hash.update(`${f.file}\0${info?.size}\0${info?.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

/**
 * The negatives as records: hashed, photos of the classes refused (a negative that is a file of
 * the data, exit 2) or dropped (same bytes as a class photo), and split into val (evaluate fits
 * the open-set threshold on them) and test (only reported). Whole groups go to one side,
 * alternating in an order seeded by `seed`; a single group is split photo by photo.
 */
export async function prepareNegatives(
  data: DataConfig,
  configDir: string,
  options: {
    seed: number;
    classFiles: ReadonlySet<string>;
    classIds: ReadonlySet<string>;
    concurrency: number;
  },
  notices: Notice[],
): Promise<NegativeRecord[]> {
  const files = await listNegatives(data, configDir);
  const clash = files.find((f) => options.classFiles.has(f.file));
  if (clash) {
    const i = data.negatives.findIndex((n) => resolve(configDir, n) === clash.root);
    throw new UsageError(`${clash.file} is a photo of the classes and a negative`, {
      where: `data.negatives[${i}]`,
      hint: 'negatives must be photos of none of the classes: point at a folder outside data.root and data.sources',
    });
  }
  const hashed = await mapPool(
    files,
    async (f) => {
      const bytes = await readFile(f.file);
      return { ...f, id: sha256(bytes), bytes: bytes.byteLength };
    },
    { concurrency: options.concurrency },
  );
  const kept = hashed.filter((f) => {
    if (!options.classIds.has(f.id)) return true;
    notices.push({
      where: f.file,
      message: 'the same photo is also a photo of a class; not used as a negative',
    });
    return false;
  });
  const groups = [...new Set(kept.map((f) => f.group))].sort(
    (a, b) => seeded(options.seed, a).localeCompare(seeded(options.seed, b)) || a.localeCompare(b),
  );
  const splitOf = new Map(groups.map((g, i) => [g, i % 2 === 0 ? 'val' : 'test'] as const));
  return kept.map((f) => ({
    id: f.id,
    path: f.path,
    file: f.file,
    source: f.source,
    group: f.group,
    split:
      groups.length > 1
        ? splitOf.get(f.group)!
        : parseInt(seeded(options.seed, f.id).slice(0, 8), 16) % 2 === 0
          ? 'val'
          : 'test',
    bytes: f.bytes,
  }));
}

const seeded = (seed: number, key: string) => sha256(`${seed}\0negatives\0${key}`);
