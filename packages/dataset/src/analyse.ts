import { createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatHash64, mapPool, type Progress, sha256 } from '@plantid/core';
import { greyStats, laplacianVariance } from './image/blur.js';
import { detailSignature } from './image/detail.js';
import { readExif } from './image/exif.js';
import { phashFromGrey } from './image/phash.js';
import { decodeThumbnail, meanColour, toGrey } from './image/thumbnail.js';
import type { Candidate } from './ingest/types.js';

/** Bump when what `analyseOne` computes changes: invalidates resume files. */
const ANALYSIS_VERSION = 1;

export interface Analysis {
  id: string;
  bytes: number;
  width: number | null;
  height: number | null;
  format: string | null;
  phash: string | null;
  blur: number | null;
  greyStd: number | null;
  meanRgb: [number, number, number] | null;
  dateCollected: string | null;
  camera: string | null;
  location: { latitude: number; longitude: number } | null;
  /** Fine-detail signature (int8) confirming pHash matches; null when undecodable. */
  detail: Int8Array | null;
  /** Why the file could not be decoded; null when it could. */
  error: string | null;
}

export async function analyseOne(file: string, keepLocation: boolean): Promise<Analysis> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    return {
      ...failed(`cannot read file (${(error as NodeJS.ErrnoException).code ?? error})`),
      id: sha256(''),
      bytes: 0,
    };
  }
  const base = { id: sha256(bytes), bytes: bytes.length, dateCollected: null, camera: null, location: null };
  try {
    const thumb = await decodeThumbnail(bytes);
    const pixels = thumb.thumbWidth * thumb.thumbHeight;
    const grey = toGrey(thumb.rgb, pixels);
    const exif = thumb.hasExif ? await readExif(bytes, keepLocation) : null;
    return {
      ...base,
      ...exif,
      width: thumb.width,
      height: thumb.height,
      format: thumb.format,
      phash: formatHash64(phashFromGrey(grey, thumb.thumbWidth, thumb.thumbHeight)),
      blur: laplacianVariance(grey, thumb.thumbWidth, thumb.thumbHeight),
      greyStd: greyStats(grey).std,
      meanRgb: meanColour(thumb.rgb, pixels),
      detail: detailSignature(grey, thumb.thumbWidth, thumb.thumbHeight),
      error: null,
    };
  } catch (error) {
    return {
      ...failed(describeDecodeError(await decodeErrorWithReason(error, bytes), bytes.length)),
      id: base.id,
      bytes: bytes.length,
    };
  }
}

/** What sharp says when libvips's error text was lost. */
const REASONLESS = /^\s*unknown error\s*$/i;

/**
 * When several decodes fail at once, sharp sometimes reports "Unknown error" (libvips's error
 * text lost between threads); a second attempt alone gives the real reason for the user.
 */
async function decodeErrorWithReason(error: unknown, bytes: Buffer): Promise<unknown> {
  if (!REASONLESS.test((error as Error).message ?? '')) return error;
  return decodeThumbnail(bytes).then(
    () => error,
    (again: unknown) => again,
  );
}

function failed(error: string): Omit<Analysis, 'id' | 'bytes'> {
  return {
    width: null,
    height: null,
    format: null,
    phash: null,
    blur: null,
    greyStd: null,
    meanRgb: null,
    dateCollected: null,
    camera: null,
    location: null,
    detail: null,
    error,
  };
}

function describeDecodeError(error: unknown, size: number): string {
  if (size === 0) return 'empty file (0 bytes)';
  const message = (error as Error).message ?? String(error);
  if (/unsupported image format/i.test(message))
    return 'not an image sharp can decode (wrong extension or not an image)';
  if (/premature end|truncat|unexpected end|read error|corrupt|invalid/i.test(message))
    return `truncated or damaged image data (${firstLine(message)})`;
  if (REASONLESS.test(message)) return 'truncated or damaged image data (the decoder gave no reason)';
  return firstLine(message);
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 200);
}

interface ResumeLine extends Omit<Analysis, 'detail'> {
  key: string;
  detail: string | null;
}

async function resumeKey(file: string): Promise<string> {
  const info = await stat(file);
  return `${ANALYSIS_VERSION}\0${file}\0${info.size}\0${info.mtimeMs}`;
}

async function loadResume(path: string): Promise<Map<string, Analysis>> {
  const done = new Map<string, Analysis>();
  const text = await readFile(path, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const { key, detail, ...rest } = JSON.parse(line) as ResumeLine;
      done.set(key, {
        ...rest,
        detail: detail === null ? null : new Int8Array(Buffer.from(detail, 'base64')),
      });
    } catch {
      // A line cut short by a kill: that image is simply analysed again.
    }
  }
  return done;
}

export interface AnalyseOptions {
  concurrency: number;
  keepLocation: boolean;
  progress: Progress;
  signal?: AbortSignal;
  /** JSONL of finished analyses; reused after a kill, appended as images finish. */
  resumeFile?: string;
}

/**
 * Analyses every candidate with at most `concurrency` images in flight (sharp decodes on the
 * libuv thread pool, so both cores work); results stream to the resume file and only small
 * per-image facts stay in memory. Returns analyses in candidate order.
 */
export async function analyseAll(
  candidates: Candidate[],
  options: AnalyseOptions,
): Promise<{ analyses: Analysis[]; resumed: number }> {
  const done = options.resumeFile ? await loadResume(options.resumeFile) : new Map<string, Analysis>();
  const out = options.resumeFile ? createWriteStream(options.resumeFile, { flags: 'a' }) : null;
  let resumed = 0;
  const analyse = async (candidate: Candidate): Promise<Analysis> => {
    options.signal?.throwIfAborted();
    const key = await resumeKey(candidate.file).catch(() => null);
    const previous = key ? done.get(key) : undefined;
    if (previous) resumed++;
    const analysis = previous ?? (await analyseOne(candidate.file, options.keepLocation));
    if (!previous && out && key) {
      const line: ResumeLine = {
        key,
        ...analysis,
        detail: analysis.detail
          ? Buffer.from(analysis.detail.buffer, analysis.detail.byteOffset, analysis.detail.length).toString(
              'base64',
            )
          : null,
      };
      if (!out.write(`${JSON.stringify(line)}\n`))
        await new Promise<void>((r) => out.once('drain', () => r()));
    }
    options.progress.tick(1);
    return analysis;
  };
  try {
    const analyses = await mapPool(candidates, analyse, { concurrency: options.concurrency });
    return { analyses, resumed };
  } finally {
    if (out) await new Promise<void>((r) => out.end(r));
    options.progress.stop();
  }
}

export function resumeFilePath(workDir: string): string {
  return join(workDir, 'analysis.jsonl');
}
