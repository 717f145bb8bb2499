import { readFile } from 'node:fs/promises';
import { type Logger, mapOrdered, type ProgressFactory } from '@plantid/core';
import type { Engine } from '@plantid/engine';
import {
  type AugmentSpec,
  augmentImage,
  ImageDecodeError,
  type PreprocessSpec,
  prepareAugmentSource,
  preprocessImage,
  preprocessView,
  type TtaView,
  viewSeed,
} from '@plantid/preprocess';
import type { VectorCache } from './cache.js';
import { viewKey } from './keys.js';

export interface ImageItem {
  /** sha256 of the image bytes (the manifest id). */
  id: string;
  /** Absolute path. */
  path: string;
  /** Views to have cached: 0 = clean, 1..n augmented. */
  views: number;
  /** Deterministic test-time views to have cached too (not the clean one). */
  tta?: readonly TtaView[];
}

/** A view as the cache knows it: 0 clean, 1..n augmented, or a TTA view. */
export type ViewId = number | TtaView;

/** The views of an item, in the order gatherViews returns their rows. */
export function itemViews(item: { views: number; tta?: readonly TtaView[] }): ViewId[] {
  return [...Array.from({ length: item.views + 1 }, (_, v) => v), ...(item.tta ?? [])];
}

/** One store of vectors and the engine that fills it (created only when something is missing). */
export interface VectorTarget {
  cache: VectorCache;
  engine: () => Promise<Engine>;
}

export interface EmbedOptions {
  spec: PreprocessSpec;
  aug: AugmentSpec;
  seed: number;
  targets: VectorTarget[];
  batchSize?: number;
  concurrency?: number;
  log?: Logger;
  progress?: ProgressFactory;
  signal?: AbortSignal;
}

export interface EmbedReport {
  views: number;
  cached: number;
  computed: number;
  failed: { id: string; path: string; error: string }[];
  seconds: number;
  engine?: string;
}

interface Job {
  item: ImageItem;
  missing: { view: ViewId; key: string }[];
}

/**
 * Makes sure every view of every image is in every target cache: views already cached are
 * skipped, the rest are preprocessed (clean or augmented with `viewSeed(seed, id, v)`) a few
 * images ahead and run through the engine in batches. Undecodable images are reported, not fatal.
 */
export async function embedViews(items: ImageItem[], options: EmbedOptions): Promise<EmbedReport> {
  const started = performance.now();
  const { spec, aug, seed, targets } = options;
  const per = spec.size * spec.size * 3;
  const jobs: Job[] = [];
  let total = 0;
  for (const item of items) {
    const missing: Job['missing'] = [];
    for (const view of itemViews(item)) {
      total++;
      const key = viewKey({ imageId: item.id, spec, aug, seed, view });
      if (targets.some((t) => !t.cache.has(key))) missing.push({ view, key });
    }
    if (missing.length) jobs.push({ item, missing });
  }
  const toCompute = jobs.reduce((n, j) => n + j.missing.length, 0);
  const report: EmbedReport = {
    views: total,
    cached: total - toCompute,
    computed: 0,
    failed: [],
    seconds: 0,
  };
  options.log?.info(`embeddings: ${report.cached}/${total} views cached, ${toCompute} to compute`, {
    cacheHits: report.cached,
    toCompute,
  });
  if (toCompute === 0) {
    report.seconds = (performance.now() - started) / 1000;
    return report;
  }
  const engines: Engine[] = [];
  for (const t of targets) engines.push(await t.engine());
  report.engine = engines.map((e) => e.description).join(' + ');
  options.log?.info(`embedding with ${report.engine}`);
  const bar = options.progress?.('embedding views', toCompute, 'views');
  const batchSize = options.batchSize ?? 32;
  let batch = new Float32Array(batchSize * per);
  let keys: string[] = [];

  const runBatch = async () => {
    if (keys.length === 0) return;
    const n = keys.length;
    const input = batch.subarray(0, n * per);
    for (const [t, target] of targets.entries()) {
      const out = await engines[t]!.predict(input, n);
      const dim = target.cache.dim;
      for (let i = 0; i < n; i++) await target.cache.put(keys[i]!, out.subarray(i * dim, (i + 1) * dim));
    }
    report.computed += n;
    bar?.tick(n);
    batch = new Float32Array(batchSize * per);
    keys = [];
  };

  const preprocessJob = async (
    job: Job,
  ): Promise<{ job: Job; tensors: Float32Array[] } | { job: Job; error: Error }> => {
    try {
      const bytes = await readFile(job.item.path);
      const tensors: Float32Array[] = [];
      const needsAug = job.missing.some((m) => typeof m.view === 'number' && m.view > 0);
      const source = needsAug
        ? await prepareAugmentSource(bytes, spec, aug, { where: job.item.path })
        : undefined;
      for (const m of job.missing) {
        tensors.push(
          typeof m.view === 'object'
            ? await preprocessView(bytes, spec, m.view, { where: job.item.path })
            : m.view === 0
              ? await preprocessImage(bytes, spec, { where: job.item.path })
              : await augmentImage(source!, spec, aug, viewSeed(seed, job.item.id, m.view)),
        );
      }
      return { job, tensors };
    } catch (error) {
      if (error instanceof ImageDecodeError) return { job, error };
      throw error;
    }
  };

  try {
    for await (const done of mapOrdered(jobs, preprocessJob, options.concurrency ?? 4)) {
      options.signal?.throwIfAborted();
      if ('error' in done) {
        report.failed.push({ id: done.job.item.id, path: done.job.item.path, error: done.error.message });
        options.log?.warn(`skipping undecodable image: ${done.error.message}`, { path: done.job.item.path });
        bar?.tick(done.job.missing.length);
        continue;
      }
      for (const [i, m] of done.job.missing.entries()) {
        batch.set(done.tensors[i]!, keys.length * per);
        keys.push(m.key);
        if (keys.length === batchSize) await runBatch();
      }
    }
    await runBatch();
  } finally {
    bar?.stop();
    for (const t of targets) await t.cache.flush();
  }
  report.seconds = (performance.now() - started) / 1000;
  options.log?.info(
    `embeddings: computed ${report.computed} views in ${report.seconds.toFixed(1)} s (${(report.computed / report.seconds).toFixed(0)} views/s)`,
  );
  return report;
}

/** Rows of the cached vectors for `items`' views, in order, as one [rows, dim] matrix. */
export function gatherViews(
  items: { id: string; views: number; tta?: readonly TtaView[] }[],
  cache: VectorCache,
  keyOf: (id: string, view: ViewId) => string,
): { data: Float32Array; rows: number; owner: Int32Array } {
  let rows = 0;
  for (const it of items) rows += itemViews(it).length;
  const data = new Float32Array(rows * cache.dim);
  const owner = new Int32Array(rows);
  let r = 0;
  for (const [i, it] of items.entries()) {
    for (const v of itemViews(it)) {
      const vec = cache.get(keyOf(it.id, v));
      if (!vec) throw new Error(`vector missing from the cache for image ${it.id} view ${JSON.stringify(v)}`);
      data.set(vec, r * cache.dim);
      owner[r++] = i;
    }
  }
  return { data, rows, owner };
}
