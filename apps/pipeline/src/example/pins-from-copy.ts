import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256 } from '@plantid/core';
import type { PinnedFile } from './pins.js';
import type { ExampleSource } from './sources.js';

const gitBlob = (bytes: Buffer) =>
  createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');

/**
 * The pins of a copy of the example laid out like ../shared. A `files` source's copy has a manifest
 * beside it (`<dir>.manifest.tsv`: class, file, git_blob, source_path) naming each photo's path and
 * git blob at the origin: a photo whose blob differs is refused, so the pins are the bytes the
 * origin serves. A `zip` source's files are pinned as they are (the archive was never seen).
 */
export async function pinsFromCopy(copy: string, sources: readonly ExampleSource[]): Promise<PinnedFile[]> {
  const pins: PinnedFile[] = [];
  for (const source of sources) {
    const root = join(copy, source.dir);
    if (source.kind === 'zip') {
      for (const file of (await readdir(root)).sort()) {
        const bytes = await readFile(join(root, file));
        pins.push({ path: `${source.dir}/${file}`, bytes: bytes.length, sha256: sha256(bytes) });
      }
      continue;
    }
    const [head, ...rows] = (await readFile(`${root}.manifest.tsv`, 'utf8')).trimEnd().split('\n');
    const column = Object.fromEntries(head!.split('\t').map((name, i) => [name, i]));
    for (const row of rows) {
      const cells = row.split('\t');
      const [folder, file, blob, origin] = ['class', 'file', 'git_blob', 'source_path'].map(
        (name) => cells[column[name]!]!,
      );
      const bytes = await readFile(join(root, folder!, file!));
      if (gitBlob(bytes) !== blob) throw new Error(`${folder}/${file}: git blob differs from the manifest`);
      const originName = origin!.slice(origin!.lastIndexOf('/') + 1);
      if (origin !== `${source.path}/${folder}/${originName}`)
        throw new Error(`${folder}/${file}: the origin ${origin} is not ${source.path}/${folder}/…`);
      pins.push({
        path: `${source.dir}/${folder}/${file}`,
        bytes: bytes.length,
        sha256: sha256(bytes),
        ...(originName !== file ? { originName } : {}),
      });
    }
  }
  return pins;
}
