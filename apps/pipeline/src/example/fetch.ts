import { lstat, mkdir, readFile, rename, rm, stat, symlink, unlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import {
  download,
  type Logger,
  mapPool,
  type Progress,
  type ProgressFactory,
  sha256,
  sha256File,
  WorkError,
  writeFileAtomic,
} from '@plantid/core';
import { unzipSync } from 'fflate';
import type { PinnedFile } from './pins.js';
import { type ExampleSource, ORIGIN, originUrl } from './sources.js';

export interface FetchExampleOptions {
  /** Where the example goes: `<dir>/datasets/...`, `<dir>/models/...`. */
  dir: string;
  /** A read-only copy laid out the same way (../shared); a verified copy is linked, not downloaded. */
  shared?: string;
  /** Stands in for https://raw.githubusercontent.com (a mirror, or a loopback server in tests). */
  origin?: string;
  log: Logger;
  progress: ProgressFactory;
  signal?: AbortSignal;
  /** Downloads in flight (default 8). */
  concurrency?: number;
  /** Attempts and backoff per file (see `download`). */
  attempts?: number;
  backoffMs?: number;
}

export interface FetchedSource {
  dir: string;
  /** present: already there and verified; linked: a symlink to the shared copy; downloaded. */
  how: 'present' | 'linked' | 'downloaded';
  files: number;
  bytes: number;
}

const exists = (path: string) =>
  lstat(path).then(
    (s) => s,
    () => undefined,
  );

/** The first pinned file under `root` that is missing or differs, as a one-line reason. */
async function firstMismatch(
  root: string,
  files: readonly PinnedFile[],
  source: ExampleSource,
  bar: Progress,
): Promise<string | undefined> {
  const problems = await mapPool(
    files,
    async (file) => {
      const path = join(root, relative(source.dir, file.path));
      const size = await stat(path).then(
        (s) => s.size,
        () => undefined,
      );
      bar.tick();
      if (size === undefined) return `${path} is missing`;
      if (size !== file.bytes) return `${path} has ${size} bytes, expected ${file.bytes}`;
      const actual = await sha256File(path);
      return actual === file.sha256 ? undefined : `${path}: sha256 is ${actual}, expected ${file.sha256}`;
    },
    { concurrency: 8 },
  );
  return problems.find((p) => p !== undefined);
}

async function verify(
  root: string,
  files: readonly PinnedFile[],
  source: ExampleSource,
  options: FetchExampleOptions,
) {
  const bar = options.progress(`verify ${source.dir}`, files.length, 'files');
  try {
    return await firstMismatch(root, files, source, bar);
  } finally {
    bar.stop();
  }
}

/** Downloads every pinned file of a `files` source from the repository, each verified by its sha256. */
async function downloadFiles(
  staging: string,
  files: readonly PinnedFile[],
  source: ExampleSource,
  options: FetchExampleOptions,
) {
  const bar = options.progress(`download ${source.dir}`, files.length, 'files');
  // The first failure (or Ctrl-C) stops the rest; every download in flight ends before this returns,
  // so nothing writes into the staging folder afterwards.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  let failure: unknown;
  try {
    await mapPool(
      files,
      async (file) => {
        if (signal.aborted) return;
        const below = relative(source.dir, file.path);
        const originPath = file.originName ? join(dirname(below), file.originName) : below;
        try {
          await download(
            originUrl(source, `${source.path}/${originPath}`, options.origin),
            join(staging, below),
            {
              what: file.path,
              sha256: file.sha256,
              log: options.log,
              signal,
              ...(options.attempts ? { attempts: options.attempts } : {}),
              ...(options.backoffMs ? { backoffMs: options.backoffMs } : {}),
            },
          );
          bar.tick();
        } catch (error) {
          if (!stop.signal.aborted) {
            failure = options.signal?.aborted ? options.signal.reason : error;
            stop.abort();
          }
        }
      },
      { concurrency: options.concurrency ?? 8 },
    );
  } finally {
    bar.stop();
  }
  if (failure !== undefined) throw failure;
  options.signal?.throwIfAborted();
}

/**
 * Downloads a `zip` source's archive and unpacks the pinned files. The archive itself cannot be
 * pinned (only its contents were ever seen), so each file taken out of it is checked instead: a
 * mismatch removes the archive and names its URL, the entry and both hashes.
 */
async function downloadArchive(
  staging: string,
  files: readonly PinnedFile[],
  source: ExampleSource,
  options: FetchExampleOptions,
) {
  const url = originUrl(source, source.path, options.origin);
  const archive = `${staging}.zip`;
  let bar: Progress | undefined;
  let bytes = 0;
  let ticked = 0;
  try {
    await download(url, archive, {
      what: source.path.split('/').at(-1)!,
      log: options.log,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.attempts ? { attempts: options.attempts } : {}),
      ...(options.backoffMs ? { backoffMs: options.backoffMs } : {}),
      progress: (delta, size) => {
        if (size !== undefined)
          bar ??= options.progress(`download ${source.dir}`, Math.ceil(size / 1024), 'KB');
        bytes += delta;
        if (!bar) return;
        const kb = Math.floor(bytes / 1024);
        bar.tick(kb - ticked);
        ticked = kb;
      },
    });
  } finally {
    bar?.stop();
  }
  const wanted = new Map(files.map((f) => [f.originName ?? f.path.split('/').at(-1)!, f]));
  const hint = 'the archive changed at its origin or arrived corrupted; it was removed';
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(await readFile(archive), {
      filter: (entry) => wanted.has(entry.name.split('/').at(-1)!),
    });
  } catch (error) {
    await rm(archive, { force: true });
    throw new WorkError(`not a zip archive (${(error as Error).message})`, { where: url, hint });
  }
  for (const [name, file] of wanted) {
    const entry = Object.entries(entries).find(([path]) => path.split('/').at(-1) === name)?.[1];
    const actual = entry ? sha256(entry) : 'missing';
    if (actual !== file.sha256) {
      await rm(archive, { force: true });
      throw new WorkError(`${name} in the archive: sha256 is ${actual}, expected ${file.sha256}`, {
        where: url,
        hint,
      });
    }
    await writeFileAtomic(join(staging, relative(source.dir, file.path)), entry!);
  }
  await rm(archive, { force: true });
}

/**
 * Puts one source of the example under `options.dir`: kept when it is there and verifies, linked
 * to the shared copy when that verifies, else downloaded into `<target>.part/` (kept across kills,
 * so a rerun continues) and renamed into place once every file matched its pin.
 */
async function fetchSource(
  source: ExampleSource,
  pins: readonly PinnedFile[],
  options: FetchExampleOptions,
): Promise<FetchedSource> {
  const files = pins.filter((p) => p.path.startsWith(`${source.dir}/`));
  const bytes = files.reduce((sum, f) => sum + f.bytes, 0);
  const summary = (how: FetchedSource['how']): FetchedSource => ({
    dir: source.dir,
    how,
    files: files.length,
    bytes,
  });
  const target = join(options.dir, source.dir);
  const there = await exists(target);
  if (there) {
    const problem = await verify(target, files, source, options);
    if (!problem) return summary('present');
    if (!there.isSymbolicLink()) {
      throw new WorkError(`does not match the example's pins: ${problem}`, {
        where: target,
        hint: `remove ${target} and run fetch-example again`,
      });
    }
    options.log.warn(
      `${target} links to a copy that does not match the pins (${problem}); downloading instead`,
    );
    await unlink(target);
  }
  if (options.shared && (await exists(join(options.shared, source.dir)))) {
    const copy = join(options.shared, source.dir);
    const problem = await verify(copy, files, source, options);
    if (!problem) {
      await mkdir(dirname(target), { recursive: true });
      await symlink(copy, target, 'dir');
      return summary('linked');
    }
    options.log.warn(`${copy} does not match the example's pins (${problem}); downloading instead`);
  }
  const staging = `${target}.part`;
  await mkdir(staging, { recursive: true });
  const from =
    source.kind === 'files'
      ? `${options.origin ?? ORIGIN}/${source.repo}`
      : originUrl(source, source.path, options.origin);
  options.log.info(
    `fetching ${source.title} (${source.license}) from ${from} @ ${source.commit.slice(0, 12)}`,
  );
  if (source.kind === 'files') await downloadFiles(staging, files, source, options);
  else await downloadArchive(staging, files, source, options);
  await rename(staging, target);
  return summary('downloaded');
}

/** Fetches every source of the example (`exampleSources`) pinned in `pins`, one after another. */
export async function fetchExample(
  sources: readonly ExampleSource[],
  pins: readonly PinnedFile[],
  options: FetchExampleOptions,
): Promise<FetchedSource[]> {
  const fetched: FetchedSource[] = [];
  for (const source of sources) fetched.push(await fetchSource(source, pins, options));
  return fetched;
}
