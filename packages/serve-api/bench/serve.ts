// Serving benchmark: the HTTP API (autocannon on loopback) next to bare in-process decode + ONNX
// Runtime on the same photos, in the same run. Prints a table with ratios; writes
// bench-results/serve-api/bench.json. Usage: pnpm --filter @plantid/serve-api bench [-- --bundle <dir>]
import { fork } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createEngine } from '@plantid/engine';
import { readBundle } from '@plantid/export';
import { preprocessImage } from '@plantid/preprocess';
import autocannon from 'autocannon';
import { REPO_ROOT, testBundle } from '../test/fixtures/bundle.js';

const args = process.argv.slice(2).filter((a) => a !== '--');
const bundleFlag = args.indexOf('--bundle');
const seconds = Number(process.env.BENCH_SECONDS ?? 6);
const c1Requests = Number(process.env.BENCH_C1_REQUESTS ?? 300);

const fixture = bundleFlag >= 0 ? undefined : await testBundle();
const bundleDir = bundleFlag >= 0 ? args[bundleFlag + 1]! : fixture!.dir;
const bundle = await readBundle(bundleDir);
const photoPaths = fixture
  ? fixture.heldOut.flatMap((l) => l.slice(0, 13)).slice(0, 64)
  : await datasetSample(64);
const photos = await Promise.all(photoPaths.map((p) => readFile(p)));
console.error(
  `bundle ${bundle.name} v${bundle.version} (${bundle.dir}); ${photos.length} real photos; ${seconds}s per throughput run`,
);

// ---- bare: decode + ONNX Runtime in this process ----
const engine = await createEngine({ kind: 'onnx', model: bundle.modelPath('fp32') });
const bareOnce = async (i: number) => {
  const tensor = await preprocessImage(photos[i % photos.length]!, bundle.preprocess);
  await engine.predict(tensor, 1);
};
for (let i = 0; i < 20; i++) await bareOnce(i);
const bareLatencies: number[] = [];
for (let i = 0; i < c1Requests; i++) {
  const t = performance.now();
  await bareOnce(i);
  bareLatencies.push(performance.now() - t);
}
const bareThroughput = async (concurrency: number) => {
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async (w: number) => {
    for (let i = w; performance.now() < end; i += concurrency) {
      await bareOnce(i);
      done++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return done / ((performance.now() - start) / 1000);
};
const bare = {
  p50: pct(bareLatencies, 50),
  p99: pct(bareLatencies, 99),
  rps8: await bareThroughput(8),
  rps32: await bareThroughput(32),
};
await engine.dispose();

// ---- the API in a child process, driven by autocannon ----
const child = fork(join(import.meta.dirname, 'server-process.ts'), [bundleDir], {
  execArgv: ['--conditions=@plantid/source', '--import', 'tsx'],
  stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
});
const url = await new Promise<string>((resolve, reject) => {
  child.once('message', (m) => resolve((m as { url: string }).url));
  child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
});
const boundary = 'plantidbench';
const requests = photos.map((bytes, i) => ({
  method: 'POST' as const,
  path: '/v1/predict',
  headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  body: Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="p${i}.webp"\r\nContent-Type: image/webp\r\n\r\n`,
    ),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]),
}));
const cannon = async (connections: number, options: { amount?: number; duration?: number }) => {
  const latencies: number[] = [];
  let instance: autocannon.Instance | undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon({ url, connections, requests, ...options }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
  instance!.on('response', (_client, status, _bytes, ms) => {
    if (status === 200) latencies.push(ms);
  });
  const result = await finished;
  if (result.non2xx || result.errors)
    throw new Error(`${result.non2xx} non-2xx responses, ${result.errors} errors at c=${connections}`);
  return { latencies, rps: result.requests.total / (result.duration || 1), result };
};
await cannon(4, { amount: 100 }); // warm connections and JIT
const c1 = await cannon(1, { amount: c1Requests });
const s8 = await cannon(8, { duration: seconds });
const s32 = await cannon(32, { duration: seconds });
const rss = await peakRss(child.pid!);
child.send('stop');
await new Promise((r) => child.once('exit', r));

const api = { p50: pct(c1.latencies, 50), p99: pct(c1.latencies, 99), rps8: s8.rps, rps32: s32.rps };
const rows = [
  ['p50 latency, c=1 (ms)', bare.p50, api.p50, api.p50 / bare.p50, '≤ 1.3'],
  ['p99 latency, c=1 (ms)', bare.p99, api.p99, api.p99 / bare.p99, ''],
  ['throughput, c=8 (req/s)', bare.rps8, api.rps8, api.rps8 / bare.rps8, '≥ 0.7'],
  ['throughput, c=32 (req/s)', bare.rps32, api.rps32, api.rps32 / bare.rps32, ''],
] as const;
const table = [
  '| measure | bare decode + ORT | HTTP API | API / bare | goal |',
  '|---|---:|---:|---:|---|',
  ...rows.map(
    ([name, b, a, ratio, goal]) =>
      `| ${name} | ${b.toFixed(2)} | ${a.toFixed(2)} | ${ratio.toFixed(2)} | ${goal} |`,
  ),
  `| server peak RSS | | ${(rss / 1024 / 1024).toFixed(0)} MiB | | |`,
].join('\n');
console.log(table);
const out = join(REPO_ROOT, 'bench-results', 'serve-api');
await mkdir(out, { recursive: true });
await writeFile(
  join(out, 'bench.json'),
  `${JSON.stringify({ bundle: `${bundle.name}@${bundle.version}`, photos: photos.length, seconds, bare, api, ratios: { p50: api.p50 / bare.p50, rps8: api.rps8 / bare.rps8, rps32: api.rps32 / bare.rps32 }, peakRssBytes: rss }, null, 2)}\n`,
);

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** VmHWM: the largest resident set the process ever had. */
async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

async function datasetSample(n: number): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const { DATASET } = await import('../test/fixtures/bundle.js');
  const classes = (await readdir(DATASET, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const paths: string[] = [];
  for (let i = 0; paths.length < n; i++) {
    const dir = join(DATASET, classes[i % classes.length]!);
    const files = (await readdir(dir)).sort();
    paths.push(join(dir, files[Math.floor(i / classes.length) % files.length]!));
  }
  return paths;
}
