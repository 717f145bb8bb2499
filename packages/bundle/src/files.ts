import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type BundleFileEntry, listFilesRecursive, sha256File } from '@plantid/core';

/** sha256 and size of every file below `dir` except those `skip` names, keyed by `/`-separated relative path. */
export async function describeFiles(
  dir: string,
  skip: (relPath: string) => boolean = () => false,
): Promise<Record<string, BundleFileEntry>> {
  const files: Record<string, BundleFileEntry> = {};
  for (const rel of await listFilesRecursive(dir)) {
    if (skip(rel)) continue;
    const path = join(dir, rel);
    files[rel] = { sha256: await sha256File(path), bytes: (await stat(path)).size };
  }
  return files;
}
