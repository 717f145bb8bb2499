// Serving benchmark: the HTTP API (autocannon on loopback) next to bare in-process decode + ONNX
// Runtime on the same photos, in the same run. Prints a table with ratios; writes
// bench-results/serve-api/bench.json. Usage: pnpm --filter @plantid/serve-api bench [-- --bundle <dir>]
import { fork } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readBundle } from '@plantid/bundle';
import { createEngine } from '@plantid/engine';
import { preprocessImage } from '@plantid/preprocess';
import autocannon from 'autocannon';
import { REPO_ROOT, testBundle } from '../test/fixtures/bundle.js';

const args = process.argv.slice(2).filter((a) => a !== '--');
const bundleFlag = args.indexOf('--bundle');
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const c1Requests = Number(process.env.BENCH_C1_REQUESTS ?? 400);

const loadStart = loadavg()[0]!;
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

// ---- the API in a child process (autocannon must not share its event loop) ----
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
  return { latencies, count: result.requests.total, seconds: result.duration };
};

// ---- bare: decode + ONNX Runtime in this process, same photos ----
const engine = await createEngine({ kind: 'onnx', model: bundle.modelPath('fp32') });
const bareOnce = async (i: number) => {
  const tensor = await preprocessImage(photos[i % photos.length]!, bundle.preprocess);
  await engine.predict(tensor, 1);
};
const bareSequential = async (n: number) => {
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await bareOnce(i);
    latencies.push(performance.now() - t);
  }
  return latencies;
};
const bareClosedLoop = async (concurrency: number, secs: number) => {
  let count = 0;
  const start = performance.now();
  const end = start + secs * 1000;
  const worker = async (w: number) => {
    for (let i = w; performance.now() < end; i += concurrency) {
      await bareOnce(i);
      count++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return { count, seconds: (performance.now() - start) / 1000 };
};

// Warm both sides, then alternate bare and API rounds so drift in a shared CPU's load hits both alike.
await bareSequential(20);
await cannon(4, { amount: 100 });
const rounds = 8;
const c1 = { bare: [] as number[], api: [] as number[] };
for (let r = 0; r < rounds; r++) {
  c1.bare.push(...(await bareSequential(c1Requests / rounds)));
  c1.api.push(...(await cannon(1, { amount: c1Requests / rounds })).latencies);
}
const throughput = async (concurrency: number) => {
  const sum = { bare: { count: 0, seconds: 0, cpu: 0 }, api: { count: 0, seconds: 0, cpu: 0 } };
  const parts = 4;
  for (let r = 0; r < parts; r++) {
    const cpu0 = process.cpuUsage();
    const b = await bareClosedLoop(concurrency, seconds / parts);
    const cpu1 = process.cpuUsage(cpu0);
    const server0 = await cpuMs(child.pid!);
    const a = await cannon(concurrency, { duration: seconds / parts });
    sum.api.cpu += (await cpuMs(child.pid!)) - server0;
    sum.bare.cpu += (cpu1.user + cpu1.system) / 1000;
    sum.bare.count += b.count;
    sum.bare.seconds += b.seconds;
    sum.api.count += a.count;
    sum.api.seconds += a.seconds;
  }
  return {
    bare: sum.bare.count / sum.bare.seconds,
    api: sum.api.count / sum.api.seconds,
    cpuPerRequest: { bare: sum.bare.cpu / sum.bare.count, api: sum.api.cpu / sum.api.count },
  };
};
const t8 = await throughput(8);
const t32 = await throughput(32);
await engine.dispose();
const rss = await peakRss(child.pid!);
child.send('stop');
await new Promise((r) => child.once('exit', r));

const bare = { p50: pct(c1.bare, 50), p99: pct(c1.bare, 99), rps8: t8.bare, rps32: t32.bare };
const api = { p50: pct(c1.api, 50), p99: pct(c1.api, 99), rps8: t8.api, rps32: t32.api };
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
  `| CPU per request, c=8 (ms) | ${t8.cpuPerRequest.bare.toFixed(2)} | ${t8.cpuPerRequest.api.toFixed(2)} (server only) | ${(t8.cpuPerRequest.api / t8.cpuPerRequest.bare).toFixed(2)} | |`,
  `| server peak RSS | | ${(rss / 1024 / 1024).toFixed(0)} MiB | | |`,
].join('\n');
console.log(table);
console.log(
  `load average during the run: ${loadStart.toFixed(1)} → ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores (a shared machine skews both columns alike; ratios are the figure)`,
);
const out = join(REPO_ROOT, 'bench-results', 'serve-api');
await mkdir(out, { recursive: true });
await writeFile(
  join(out, 'bench.json'),
  `${JSON.stringify({ bundle: `${bundle.name}@${bundle.version}`, photos: photos.length, seconds, bare, api, ratios: { p50: api.p50 / bare.p50, rps8: api.rps8 / bare.rps8, rps32: api.rps32 / bare.rps32 }, peakRssBytes: rss, loadAverage: [loadStart, loadavg()[0]] }, null, 2)}\n`,
);

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** user + system CPU time of a process so far, in ms (from /proc; clock ticks are 10 ms). */
async function cpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
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
