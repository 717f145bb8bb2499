import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { SourceSpec } from '@plantid/core';
import { IMAGE_EXTENSIONS, isImageFile } from '@plantid/core';
import type { Candidate, Notice } from './types.js';

interface WalkState {
  notices: Notice[];
  visited: Set<string>;
  skippedOther: string[];
}

/**
 * Lists a folder-per-class tree: each sub-folder of `root` is a class (its name, verbatim,
 * is the label), images anywhere below it belong to it. Follows symlinks but never the same
 * real folder twice, so a symlink loop is reported once and skipped.
 */
export async function listFolderSource(source: SourceSpec, notices: Notice[]): Promise<Candidate[]> {
  const state: WalkState = { notices, visited: new Set([await realpath(source.root)]), skippedOther: [] };
  const candidates: Candidate[] = [];
  const top = await readdir(source.root, { withFileTypes: true });
  const looseFiles: string[] = [];
  for (const entry of top.sort(byName)) {
    if (entry.name.startsWith('.')) continue;
    const full = join(source.root, entry.name);
    const kind = await entryKind(entry, full, state);
    if (kind === 'file') looseFiles.push(entry.name);
    if (kind !== 'dir') continue;
    const before = candidates.length;
    await walk(full, entry.name, source, candidates, state);
    if (candidates.length === before) {
      notices.push({ where: full, message: `class folder "${entry.name}" has no image files; skipped` });
    }
  }
  if (looseFiles.length > 0) {
    notices.push({
      where: source.root,
      message: `${looseFiles.length} file(s) directly under the data root are not in a class folder and were ignored (e.g. ${looseFiles[0]})`,
    });
  }
  if (state.skippedOther.length > 0) {
    notices.push({
      where: source.root,
      message: `${state.skippedOther.length} non-image file(s) skipped (e.g. ${state.skippedOther[0]}); supported: ${[...IMAGE_EXTENSIONS].join(' ')}`,
    });
  }
  return candidates;
}

function byName(a: Dirent, b: Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

async function entryKind(entry: Dirent, full: string, state: WalkState): Promise<'file' | 'dir' | 'skip'> {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory() || entry.isSymbolicLink()) {
    let target: Awaited<ReturnType<typeof stat>>;
    try {
      target = await stat(full);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const what =
        code === 'ELOOP' ? 'symlink loop' : code === 'ENOENT' ? 'broken symlink' : `unreadable (${code})`;
      state.notices.push({ where: full, message: `${what}; skipped` });
      return 'skip';
    }
    if (target.isFile()) return 'file';
    if (!target.isDirectory()) return 'skip';
    const real = await realpath(full);
    if (state.visited.has(real)) {
      state.notices.push({
        where: full,
        message: 'symlink loop (points back to a folder already listed); skipped',
      });
      return 'skip';
    }
    state.visited.add(real);
    return 'dir';
  }
  return 'skip';
}

async function walk(
  dir: string,
  label: string,
  source: SourceSpec,
  out: Candidate[],
  state: WalkState,
): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    state.notices.push({
      where: dir,
      message: `cannot read folder (${(error as NodeJS.ErrnoException).code}); skipped`,
    });
    return;
  }
  for (const entry of entries.sort(byName)) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    const kind = await entryKind(entry, full, state);
    if (kind === 'dir') await walk(full, label, source, out, state);
    if (kind !== 'file') continue;
    const rel = relative(source.root, full).split(sep).join('/');
    if (!isImageFile(entry.name)) {
      state.skippedOther.push(rel);
      continue;
    }
    out.push({
      source: source.name,
      license: source.license,
      root: source.root,
      file: full,
      path: rel,
      label,
      fixedSplit: null,
    });
  }
}
