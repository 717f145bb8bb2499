import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { PlantidError, UsageError, WorkError } from './errors.js';
import { sha256File } from './hash.js';
import { backoffDelay } from './helpers/retry.js';
import type { Logger } from './logger.js';

export interface FetchOptions {
  /** What is downloaded, for messages (`backbone model.json`); default: the file name. */
  what?: string;
  /** Attempts without progress (default 4), with exponential backoff from `backoffMs` (default 500 ms). */
  attempts?: number;
  backoffMs?: number;
  /** A connection that sends nothing for this long is dropped and tried again (default 60 s). */
  idleTimeoutMs?: number;
  /** The URL came from the user's config: a refusal (404, 403) is their mistake, exit 2 (default: exit 1). */
  userUrl?: boolean;
  /** What to do, appended to the error: when the server refuses the URL, and when it cannot be reached. */
  hints?: { refused?: string; unreachable?: string };
  log?: Logger;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

export interface DownloadOptions extends FetchOptions {
  /** Expected sha256 of the file: a mismatch removes the partial file and fails (exit 1). */
  sha256?: string;
  /**
   * Called with every change of the bytes on disk (negative when a partial file is discarded) and,
   * once the server says, the file's full size.
   */
  progress?: (bytes: number, size?: number) => void;
  /** Continue `<dest>.part` from an earlier, interrupted try with an HTTP Range request (default true). */
  resume?: boolean;
}

export interface DownloadResult {
  sha256: string;
  bytes: number;
  /** False when `dest` already held the expected file. */
  downloaded: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Status codes worth retrying; other 4xx mean the URL is wrong and retrying won't help. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

const sizeOf = (path: string) =>
  stat(path).then(
    (s) => (s.isFile() ? s.size : undefined),
    () => undefined,
  );

/**
 * One try: done, or why to try again and whether it got bytes (which restarts the failure count);
 * a PlantidError stops. `signal.kick()` says data arrived (the idle timeout starts over).
 */
type Attempt = (
  signal: AbortSignal & { kick(): void },
) => Promise<'done' | { retry: string; progressed: boolean }>;

/** Runs `attempt` until it is done, backing off after each try that made no progress. */
async function retrying(url: string, options: FetchOptions, attempt: Attempt): Promise<void> {
  const attempts = options.attempts ?? 4;
  const backoff = options.backoffMs ?? 500;
  const what = options.what ?? basename(new URL(url).pathname);
  let failures = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    const idle = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal;
    let outcome: Awaited<ReturnType<Attempt>>;
    try {
      outcome = await attempt(withIdleTimeout(signal, idle, options.idleTimeoutMs ?? 60_000));
    } catch (error) {
      if (error instanceof PlantidError) throw error;
      options.signal?.throwIfAborted();
      outcome = { retry: idle.signal.aborted ? 'no data for too long' : describe(error), progressed: false };
    } finally {
      idle.abort();
    }
    if (outcome === 'done') return;
    failures = outcome.progressed ? 1 : failures + 1;
    if (failures >= attempts) {
      throw new WorkError(`cannot download ${what} after ${attempts} attempts (${outcome.retry})`, {
        where: url,
        ...(options.hints?.unreachable ? { hint: options.hints.unreachable } : {}),
      });
    }
    const delay = backoffDelay(failures, { delayMs: backoff });
    options.log?.warn(`download of ${what} failed (${outcome.retry}); retrying in ${delay} ms`, { url });
    await sleep(delay);
  }
}

/** The signal handed to fetch: aborted by the caller, or by `idle` when `kick()` is not called in time. */
function withIdleTimeout(
  signal: AbortSignal,
  idle: AbortController,
  ms: number,
): AbortSignal & { kick(): void } {
  let timer = setTimeout(() => idle.abort(), ms);
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  return Object.assign(signal, {
    kick() {
      clearTimeout(timer);
      if (!signal.aborted) timer = setTimeout(() => idle.abort(), ms);
    },
  });
}

function refused(url: string, status: number, options: FetchOptions): PlantidError {
  const what = options.what ?? basename(new URL(url).pathname);
  const Kind = options.userUrl ? UsageError : WorkError;
  return new Kind(`cannot download ${what}: HTTP ${status}`, {
    where: url,
    ...(options.hints?.refused ? { hint: options.hints.refused } : {}),
  });
}

/** GETs `url` into memory with retries and backoff; errors are one line naming the URL. */
export async function fetchBytes(url: string, options: FetchOptions = {}): Promise<Uint8Array> {
  const doFetch = options.fetch ?? fetch;
  let bytes: Uint8Array | undefined;
  await retrying(url, options, async (signal) => {
    const response = await doFetch(url, { signal });
    if (!response.ok) {
      await response.body?.cancel();
      if (!retryable(response.status)) throw refused(url, response.status, options);
      return { retry: `HTTP ${response.status}`, progressed: false };
    }
    bytes = new Uint8Array(await response.arrayBuffer());
    return 'done';
  });
  return bytes!;
}

const contentRange = (header: string | null) => /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header ?? '');
/** `bytes 100-199/200` → 100. */
const rangeStart = (header: string | null) => Number(contentRange(header)?.[1] ?? Number.NaN);
/** `bytes 100-199/200` → 200 (NaN when unknown). */
const fullSize = (header: string | null) => Number(contentRange(header)?.[2] ?? Number.NaN);

/**
 * Downloads `url` to `dest` through `<dest>.part`, renamed into place once complete and verified:
 * `dest` never holds half a file. A cut connection or a killed process leaves the `.part`, which the
 * next try continues with an HTTP Range request (a server that ignores Range sends it all again).
 * With `sha256`, an existing `dest` that matches is kept as is, and a finished download that does
 * not match is removed and fails naming the URL and both hashes.
 */
export async function download(
  url: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const what = options.what ?? basename(dest);
  const progress = options.progress ?? (() => {});
  const existing = await sizeOf(dest);
  if (existing !== undefined) {
    const actual = await sha256File(dest);
    if (!options.sha256 || actual === options.sha256) {
      progress(existing, existing);
      return { sha256: actual, bytes: existing, downloaded: false };
    }
    options.log?.warn(`${dest} does not match its sha256; downloading it again`);
  }
  const part = `${dest}.part`;
  await mkdir(dirname(dest), { recursive: true });
  if (options.resume === false) await rm(part, { force: true });
  const resumed = (await sizeOf(part)) ?? 0;
  if (resumed > 0) progress(resumed);

  const doFetch = options.fetch ?? fetch;
  await retrying(url, { ...options, what }, async (signal) => {
    const offset = (await sizeOf(part)) ?? 0;
    const discard = async () => {
      await rm(part, { force: true });
      progress(-offset);
    };
    const response = await doFetch(url, {
      signal,
      ...(offset > 0 ? { headers: { range: `bytes=${offset}-` } } : {}),
    });
    if (response.status === 416 && offset > 0) {
      // The .part is already whole (killed after its last byte) or longer than the file.
      await response.body?.cancel();
      if (options.sha256 && (await sha256File(part)) === options.sha256) return 'done';
      await discard();
      return { retry: 'partial file does not fit the remote file', progressed: false };
    }
    if (!response.ok) {
      await response.body?.cancel();
      if (!retryable(response.status)) throw refused(url, response.status, { ...options, what });
      return { retry: `HTTP ${response.status}`, progressed: false };
    }
    const appending = response.status === 206;
    if (appending && rangeStart(response.headers.get('content-range')) !== offset) {
      await response.body?.cancel();
      await discard();
      return { retry: 'server answered another range', progressed: false };
    }
    if (!appending && offset > 0) progress(-offset);
    const size = appending
      ? fullSize(response.headers.get('content-range'))
      : Number(response.headers.get('content-length') ?? Number.NaN);
    if (Number.isFinite(size)) progress(0, size);
    const handle = await open(part, appending ? 'a' : 'w');
    let received = 0;
    try {
      for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
        await handle.write(chunk);
        received += chunk.length;
        progress(chunk.length);
        signal.kick();
      }
      await handle.sync();
    } catch (error) {
      options.signal?.throwIfAborted();
      return { retry: describe(error), progressed: received > 0 };
    } finally {
      await handle.close();
    }
    return 'done';
  });

  const actual = await sha256File(part);
  if (options.sha256 && actual !== options.sha256) {
    const bytes = (await sizeOf(part)) ?? 0;
    await rm(part, { force: true });
    progress(-bytes);
    throw new WorkError(`${what} sha256 is ${actual}, expected ${options.sha256}`, {
      where: url,
      hint: 'the file changed at its origin or arrived corrupted; the partial file was removed',
    });
  }
  const bytes = (await sizeOf(part)) ?? 0;
  await rename(part, dest);
  return { sha256: actual, bytes, downloaded: true };
}
