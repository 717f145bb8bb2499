import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import {
  download,
  fetchBytes,
  type Logger,
  type ProgressFactory,
  UsageError,
  WorkError,
} from '@plantid/core';
import { stringify } from 'csv-stringify/sync';
import pThrottle from 'p-throttle';
import {
  mediumPhotoUrl,
  type Observation,
  observationsPageSchema,
  observationsUrl,
} from './inaturalist-api.js';
import type { LicenceCode } from './licences.js';

export const INATURALIST_API = 'https://api.inaturalist.org/v1';
export const COLLECT_MANIFEST = 'manifest.csv';

export interface CollectOptions {
  taxon: string;
  place?: string | undefined;
  licences: readonly LicenceCode[];
  limit: number;
  /** The folder to create: `<out>/<label>/<observation>-<photo>.jpg` plus `manifest.csv`. */
  out: string;
  apiBase?: string;
  /** Least time between two requests to iNaturalist (API and photos); it asks for at most 1 per second. */
  minIntervalMs?: number;
  log: Logger;
  progress: ProgressFactory;
  signal?: AbortSignal;
}

export interface CollectResult {
  photos: number;
  labels: Record<string, number>;
  licences: Record<string, number>;
  manifest: string;
}

interface Row {
  path: string;
  label: string;
  license: string;
  source_url: string;
  observer: string;
  date: string;
  observation: string;
  attribution: string;
}

const userAgent = 'plantid-collect/0.1 (at most one request per second)';

/** A label folder name from a taxon name: no path separators, no leading dot. */
function folderName(name: string): string {
  return name.replace(/[/\\]/g, '-').replace(/^\.+/, '').trim() || 'unnamed';
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  const entries = await readdir(dir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? [] : null));
  return entries !== null && entries.length === 0;
}

/**
 * Pages through iNaturalist's research-grade observations of a taxon, keeps one photo per
 * observation (several photos of one plant would leak across splits) under an allowed licence,
 * downloads its medium size with retries, and writes `<out>/<label>/…` plus manifest.csv with the
 * source URL, observer, licence and date of each photo. Everything lands in `<out>.partial/` first
 * (a rerun continues it) and is renamed to `<out>` once complete, so `<out>` is never half-written.
 */
export async function collectInaturalist(options: CollectOptions): Promise<CollectResult> {
  const { out, log } = options;
  if (!(await isEmptyOrMissing(out)))
    throw new UsageError(`${out} already exists and is not empty`, {
      where: '--out',
      hint: 'collect into a new folder; nothing in an existing one is replaced',
    });
  const staging = `${out}.partial`;
  const apiBase = options.apiBase ?? INATURALIST_API;
  const throttle = pThrottle({ limit: 1, interval: options.minIntervalMs ?? 1000 });
  const withAgent: typeof fetch = (input, init) =>
    fetch(input, { ...init, headers: { ...(init?.headers ?? {}), 'user-agent': userAgent } });
  const politeFetch = throttle(withAgent) as typeof fetch;
  const allowed = new Set<string>(options.licences);
  const unreachable = `collect needs the internet (${new URL(apiBase).host}); nothing was written to ${out}`;

  const rows: Row[] = [];
  const progress = options.progress('collect photos', options.limit, 'photo');
  let idAbove = 0;
  try {
    while (rows.length < options.limit) {
      const url = observationsUrl(apiBase, {
        taxon: options.taxon,
        place: options.place,
        licences: options.licences,
        perPage: Math.min(200, Math.max(1, options.limit - rows.length)),
        idAbove,
      });
      const text = new TextDecoder().decode(
        await fetchBytes(url, {
          what: 'iNaturalist observations',
          fetch: politeFetch,
          log,
          hints: { unreachable },
          ...signalOf(options),
        }),
      );
      const parsed = observationsPageSchema.safeParse(JSON.parse(text));
      if (!parsed.success)
        throw new WorkError(`unexpected answer from iNaturalist: ${parsed.error.issues[0]?.message}`, {
          where: url,
        });
      const page = parsed.data;
      if (idAbove === 0) log.info(`iNaturalist: ${page.total_results} research-grade observations match`);
      if (page.results.length === 0) break;
      for (const observation of page.results) {
        if (rows.length >= options.limit) break;
        const row = await collectOne(observation, allowed, staging, politeFetch, options);
        if (row) {
          rows.push(row);
          progress.tick(1, { label: row.label });
        }
      }
      idAbove = page.results.at(-1)!.id;
    }
  } catch (error) {
    if (await isEmptyTree(staging)) await rm(staging, { recursive: true, force: true });
    else log.warn(`kept ${staging} (photos so far); the same command continues it`);
    throw error;
  } finally {
    progress.stop();
  }
  if (rows.length === 0)
    throw new UsageError(
      `no research-grade photos of "${options.taxon}" under ${options.licences.join(', ')}`,
      {
        where: '--taxon',
        hint: 'check the name or id on inaturalist.org, or allow more licences with --licence',
      },
    );
  rows.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  await writeFile(
    join(staging, COLLECT_MANIFEST),
    stringify(rows, { header: true, columns: Object.keys(rows[0]!) }),
  );
  await mkdir(dirname(out), { recursive: true });
  await rm(out, { recursive: true, force: true }); // empty or missing, checked above
  await rename(staging, out);
  const count = (key: keyof Row) =>
    rows.reduce<Record<string, number>>((acc, r) => {
      acc[r[key]] = (acc[r[key]] ?? 0) + 1;
      return acc;
    }, {});
  return {
    photos: rows.length,
    labels: count('label'),
    licences: count('license'),
    manifest: join(out, COLLECT_MANIFEST),
  };
}

const signalOf = (o: { signal?: AbortSignal | undefined }) => (o.signal ? { signal: o.signal } : {});

async function collectOne(
  observation: Observation,
  allowed: Set<string>,
  staging: string,
  politeFetch: typeof fetch,
  options: CollectOptions,
): Promise<Row | null> {
  const photo = observation.photos.find(
    (p) => p.url && p.license_code && allowed.has(p.license_code.toLowerCase()),
  );
  if (!photo?.url || !observation.taxon) return null;
  const url = mediumPhotoUrl(photo.url);
  const label = folderName(observation.taxon.name);
  const ext = extname(new URL(url).pathname).toLowerCase() || '.jpg';
  const path = `${label}/${observation.id}-${photo.id}${ext}`;
  try {
    await download(url, join(staging, ...path.split('/')), {
      what: basename(path),
      fetch: politeFetch,
      log: options.log,
      ...signalOf(options),
    });
  } catch (error) {
    // One photo that cannot be had is skipped; a network that is gone fails the next API page.
    options.log.warn(`skipped ${url}: ${(error as Error).message}`);
    return null;
  }
  return {
    path,
    label,
    license: photo.license_code!.toLowerCase(),
    source_url: url,
    observer: observation.user?.name || observation.user?.login || '',
    date: observation.observed_on ?? '',
    observation: observation.uri ?? `https://www.inaturalist.org/observations/${observation.id}`,
    attribution: photo.attribution ?? '',
  };
}

async function isEmptyTree(dir: string): Promise<boolean> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return !entries.some((e) => e.isFile());
}
