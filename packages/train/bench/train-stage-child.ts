// Runs the train stage once in its own process (for wall time and peak RSS) and prints one JSON line.
// argv: <base> <dataset dir> <cache dir>
import { createLogger, createProgressFactory } from '@plantid/core';
import { trainModel } from '../src/index.js';
import { makeContext } from '../test/helpers.js';
import { benchConfig } from './config.js';

const [base, datasetDir, cacheDir] = process.argv.slice(2) as [string, string, string];
const ctx = await makeContext(benchConfig(), {
  base,
  datasetDir,
  cacheDir,
  workDir: `${base}/work-${Date.now()}`,
  log: createLogger({ level: process.env.BENCH_VERBOSE ? 'info' : 'warn' }),
});
if (process.env.BENCH_VERBOSE) ctx.progress = createProgressFactory();
const started = performance.now();
const summary = await trainModel(ctx);
process.stdout.write(
  `${JSON.stringify({ summary, wallSeconds: (performance.now() - started) / 1000, maxRssMB: process.resourceUsage().maxRSS / 1024 })}\n`,
);
