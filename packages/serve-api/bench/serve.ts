// Serving benchmark against a named anchor: the seed's Python stack (FastAPI + uvicorn + ONNX
// Runtime + Pillow, bench/anchor/server.py, in a venv the bench makes) and plantid's API on the
// same bundle and the same real photos, in one run, at c=1, 8 and 32 (autocannon on loopback).
// Each server is measured alone (the others idle); the anchor in both of its usual configurations
// (1 worker × 2 ORT threads, 2 workers × 1 thread), and its best run counts. Prints a table with
// ratios; writes bench-results/serve-api/bench.json.
// Usage: pnpm --filter @plantid/serve-api bench [-- --bundle <dir>]   (BENCH_SECONDS, BENCH_RUNS)
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { extname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readBundle } from '@plantid/bundle';
import { processGroupMembers } from '@plantid/testkit';
import autocannon from 'autocannon';
import { REPO_ROOT, testBundle } from '../test/fixtures/bundle.js';
import { anchorPython, startAnchor } from './anchor/start-anchor.js';

const args = process.argv.slice(2).filter((a) => a !== '--');
const bundleFlag = args.indexOf('--bundle');
const seconds = Number(process.env.BENCH_SECONDS ?? 6);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const CONCURRENCY = [1, 8, 32] as const;

const loadStart = loadavg()[0]!;
const fixture = bundleFlag >= 0 ? undefined : await testBundle();
const bundleDir = bundleFlag >= 0 ? args[bundleFlag + 1]! : fixture!.dir;
const bundle = await readBundle(bundleDir);
const photoPaths = fixture
  ? fixture.heldOut.flatMap((l) => l.slice(0, 4)).slice(0, 16)
  : await datasetSample(16);
const photos = await Promise.all(photoPaths.map((p) => readFile(p)));
console.error(
  `bundle ${bundle.name} v${bundle.version} (${bundle.dir}); ${photos.length} real photos; ${runs} runs × ${seconds} s per server and concurrency`,
);

interface Target {
  name: string;
  url: string;
  /** Process group whose members' RSS adds up to the server's. */
  pgid: number;
  stop(): Promise<void>;
}

// ---- the servers ----
const python = await anchorPython((line) => console.error(line));
const plantid = await startPlantid(bundleDir);
const anchors = [
  { name: 'FastAPI + ORT, 1 worker × 2 threads', workers: 1, threads: 2 },
  { name: 'FastAPI + ORT, 2 workers × 1 thread', workers: 2, threads: 1 },
];
const targets: Target[] = [plantid];
for (const a of anchors) {
  const server = await startAnchor(python, bundle.dir, a);
  targets.push({ name: a.name, url: server.url, pgid: server.pid, stop: () => server.stop() });
}

const boundary = 'plantidbench';
const requests = photos.map((bytes, i) => ({
  method: 'POST' as const,
  path: '/v1/predict',
  headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  body: Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="p${i}${extname(photoPaths[i]!)}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]),
}));

interface Run {
  rps: number;
  p50: number;
  p99: number;
  /** Largest sum of the server's processes' RSS seen while it was under this load. */
  peakRss: number;
}

async function load(target: Target, connections: number, options: { duration?: number; amount?: number }) {
  const latencies: number[] = [];
  let instance: autocannon.Instance | undefined;
  let peakRss = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peakRss = Math.max(peakRss, groupRss(target.pgid));
      await sleep(100);
    }
  })();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon({ url: target.url, connections, requests, ...options }, (error, r) =>
      error ? reject(error) : resolve(r),
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status === 200) latencies.push(ms);
    });
  });
  sampling = false;
  await sampler;
  if (result.non2xx || result.errors)
    throw new Error(`${target.name}: ${result.non2xx} non-2xx, ${result.errors} errors at c=${connections}`);
  return {
    rps: result.requests.total / result.duration,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    peakRss,
  } satisfies Run;
}

// Warm every server (sessions, thread pools, allocator), then record each at rest.
for (const t of targets) await load(t, 8, { amount: 200 });
await sleep(1000);
const atRest = Object.fromEntries(targets.map((t) => [t.name, groupRss(t.pgid)]));

// Rounds interleave the servers, so drift in the shared machine's load hits all of them alike.
const results: Record<string, Record<number, Run[]>> = Object.fromEntries(
  targets.map((t) => [t.name, Object.fromEntries(CONCURRENCY.map((c) => [c, [] as Run[]]))]),
);
for (const c of CONCURRENCY) {
  for (let r = 0; r < runs; r++) {
    for (const t of targets) {
      results[t.name]![c]!.push(await load(t, c, { duration: seconds }));
      console.error(
        `c=${c} run ${r + 1}/${runs} ${t.name}: ${results[t.name]![c]!.at(-1)!.rps.toFixed(0)} req/s`,
      );
    }
  }
}
const plantidPeakHwm = vmHwm(plantid.pgid);
for (const t of targets) await t.stop();

// plantid: its median run; the anchor: the best run of its best configuration (per concurrency).
const median = (xs: Run[]) => [...xs].sort((a, b) => a.rps - b.rps)[Math.floor(xs.length / 2)]!;
const best = (xs: Run[]) => [...xs].sort((a, b) => b.rps - a.rps)[0]!;
const rows: string[] = [];
const summary: Record<number, unknown> = {};
for (const c of CONCURRENCY) {
  const ours = median(results[plantid.name]![c]!);
  const anchorRuns = anchors.map((a) => ({ name: a.name, run: best(results[a.name]![c]!) }));
  const top = anchorRuns.sort((a, b) => b.run.rps - a.run.rps)[0]!;
  rows.push(
    `| c=${c} | ${fmt(ours)} | ${fmt(top.run)} (${top.name.replace('FastAPI + ORT, ', '')}) | **${(ours.rps / top.run.rps).toFixed(2)}×** | ${(ours.p99 / top.run.p99).toFixed(2)} | ${(ours.peakRss / top.run.peakRss).toFixed(2)} |`,
  );
  summary[c] = { plantid: ours, anchor: { config: top.name, ...top.run }, ratio: ours.rps / top.run.rps };
}
const table = [
  '| load | plantid (median run): req/s · p50/p99 ms · peak RSS | anchor (best run, best config) | req/s ratio (goal ≥ 1.5) | p99 ratio | RSS ratio |',
  '|---|---|---|---:|---:|---:|',
  ...rows,
  '',
  `RSS at rest after warm-up: ${targets.map((t) => `${t.name} ${mib(atRest[t.name]!)}`).join('; ')}`,
  `plantid peak RSS over the whole run (VmHWM): ${mib(plantidPeakHwm)}`,
  '',
  'every run, req/s:',
  ...targets.map(
    (t) =>
      `  ${t.name}: ${CONCURRENCY.map((c) => `c=${c} ${results[t.name]![c]!.map((r) => r.rps.toFixed(0)).join('/')}`).join(', ')}`,
  ),
].join('\n');
console.log(table);
console.log(
  `load average during the run: ${loadStart.toFixed(1)} → ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores (a shared machine skews every column; ratios are the figure)`,
);
const out = join(REPO_ROOT, 'bench-results', 'serve-api');
await mkdir(out, { recursive: true });
await writeFile(
  join(out, 'bench.json'),
  `${JSON.stringify({ bundle: `${bundle.name}@${bundle.version}`, photos: photos.length, seconds, runs, summary, results, atRest, plantidPeakHwm, loadAverage: [loadStart, loadavg()[0]] }, null, 2)}\n`,
);

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

function fmt(r: Run): string {
  return `${r.rps.toFixed(0)} · ${r.p50.toFixed(1)}/${r.p99.toFixed(1)} · ${mib(r.peakRss)}`;
}

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function status(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}

/** Resident memory of every process in the group now (a server and the workers it forked). */
function groupRss(pgid: number): number {
  return processGroupMembers(pgid).reduce((sum, pid) => sum + kb(status(pid), 'VmRSS'), 0);
}

/** VmHWM: the largest resident set the process ever had. */
function vmHwm(pid: number): number {
  return kb(status(pid), 'VmHWM');
}

function kb(procStatus: string, field: string): number {
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(procStatus)?.[1] ?? 0) * 1024;
}

/** plantid's API in a child process of its own group (autocannon must not share its event loop). */
async function startPlantid(dir: string): Promise<Target> {
  const child = fork(join(import.meta.dirname, '../test/fixtures/server-process.ts'), [dir], {
    execArgv: ['--conditions=@plantid/source', '--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    detached: true,
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    name: 'plantid',
    url,
    pgid: child.pid!,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.send('stop');
      await exited;
    },
  };
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
