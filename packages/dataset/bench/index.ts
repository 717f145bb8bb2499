// Dataset benchmark: `pnpm --filter @plantid/dataset bench` (or `pnpm bench` at the root).
// Each measurement runs in its own child process so peak RSS belongs to that measurement.
import { fork } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { configSchema, createLogger, createRandom, HashIndex, popcount32 } from '@plantid/core';
import sharp from 'sharp';
import { prepareDataset } from '../src/index.js';

const DATA = resolve(import.meta.dirname, '../../../../shared/datasets/ph-medicinal-leaf40');
const CONCURRENCY = Math.max(2, availableParallelism() * 2);

interface Result {
  name: string;
  seconds: number;
  items: number;
  peakRssMB: number;
  extra?: Record<string, number | string>;
}

const peakRssMB = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function listFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const d of (await readdir(DATA)).sort())
    for (const f of (await readdir(join(DATA, d))).sort()) files.push(join(DATA, d, f));
  return files;
}

async function plainDecode(): Promise<Result> {
  const files = await listFiles();
  const t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < files.length) await sharp(files[next++]!).raw().toBuffer();
    }),
  );
  return {
    name: 'plain parallel sharp decode',
    seconds: (performance.now() - t) / 1000,
    items: files.length,
    peakRssMB: peakRssMB(),
  };
}

async function pipeline(): Promise<Result> {
  const data = configSchema.shape.data.parse({ root: DATA });
  const t = performance.now();
  const prepared = await prepareDataset({
    data,
    seed: 42,
    configDir: process.cwd(),
    log: createLogger({ level: 'error' }),
    progress: () => ({ tick: () => {}, setTotal: () => {}, stop: () => {} }),
  });
  const seconds = (performance.now() - t) / 1000;
  return {
    name: 'ingest+checks+dedup+split',
    seconds,
    items: prepared.records.length,
    peakRssMB: peakRssMB(),
    extra: prepared.timings,
  };
}

function syntheticHashes(n: number) {
  const rand = createRandom(7, '');
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    hi[i] = Math.floor(rand() * 2 ** 32);
    lo[i] = Math.floor(rand() * 2 ** 32);
    if (i % 20 === 19) {
      // 5% planted near copies (1–8 flipped bits) so there is something to find.
      const src = Math.floor(rand() * i);
      hi[i] = hi[src]!;
      lo[i] = lo[src]!;
      for (let f = 1 + Math.floor(rand() * 8); f > 0; f--) {
        const bit = Math.floor(rand() * 64);
        if (bit < 32) hi[i]! ^= 1 << bit;
        else lo[i]! ^= 1 << (bit - 32);
      }
    }
  }
  return { hi, lo };
}

async function indexSearch(kind: 'mih' | 'brute', n: number, radius: number): Promise<Result> {
  const { hi, lo } = syntheticHashes(n);
  const t = performance.now();
  let pairs = 0;
  if (kind === 'mih') new HashIndex(hi, lo, radius).pairs(() => pairs++);
  else {
    for (let i = 0; i < n; i++) {
      const h = hi[i]!;
      const l = lo[i]!;
      for (let j = i + 1; j < n; j++) if (popcount32(h ^ hi[j]!) + popcount32(l ^ lo[j]!) <= radius) pairs++;
    }
  }
  return {
    name: `${kind === 'mih' ? 'multi-index hashing' : 'brute-force pairwise'} ${n / 1000}k r=${radius}`,
    seconds: (performance.now() - t) / 1000,
    items: n,
    peakRssMB: peakRssMB(),
    extra: { pairs },
  };
}

const jobs: Record<string, () => Promise<Result>> = {
  plain: plainDecode,
  pipeline,
  'mih-10': () => indexSearch('mih', 100_000, 10),
  'brute-10': () => indexSearch('brute', 100_000, 10),
  'mih-6': () => indexSearch('mih', 100_000, 6),
  'brute-6': () => indexSearch('brute', 100_000, 6),
};

const only = process.argv.indexOf('--only');
if (only >= 0) {
  const result = await jobs[process.argv[only + 1]!]!();
  process.send!(result);
  process.exit(0);
}

const run = (job: string) =>
  new Promise<Result>((resolvePromise, reject) => {
    const child = fork(import.meta.filename, ['--only', job], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (m) => resolvePromise(m as Result));
    child.once('exit', (code) => code !== 0 && reject(new Error(`${job} exited ${code}`)));
  });

console.error(
  `dataset bench: ${DATA}, ${availableParallelism()} cores, concurrency ${CONCURRENCY}, load ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`,
);
const results: Record<string, Result> = {};
for (const job of Object.keys(jobs)) {
  results[job] = await run(job);
  console.error(`  ${job}: ${results[job]!.seconds.toFixed(2)} s`);
}
const row = (r: Result, ratio: string) =>
  `| ${r.name.padEnd(34)} | ${r.seconds.toFixed(2).padStart(8)} | ${Math.round(r.items / r.seconds)
    .toString()
    .padStart(
      9,
    )} | ${String(r.peakRssMB).padStart(8)} | ${ratio.padStart(22)} | ${r.extra ? JSON.stringify(r.extra) : ''}`;
console.log(
  '| measurement                        |   wall s |  items/s  | peak MB  | ratio                  | detail',
);
console.log(
  '|------------------------------------|----------|-----------|----------|------------------------|-------',
);
console.log(row(results.plain!, '1.00 (baseline)'));
console.log(
  row(
    results.pipeline!,
    `${(results.pipeline!.seconds / results.plain!.seconds).toFixed(2)}× plain decode time`,
  ),
);
for (const r of ['10', '6']) {
  console.log(row(results[`brute-${r}`]!, '1.00 (baseline)'));
  console.log(
    row(
      results[`mih-${r}`]!,
      `${(results[`brute-${r}`]!.seconds / results[`mih-${r}`]!.seconds).toFixed(1)}× faster than brute`,
    ),
  );
}
