import { appendFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryLogger } from '@plantid/core';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  BATCH_LIMITS,
  compareRuns,
  createTracker,
  formatComparison,
  LocalStore,
  packBatches,
  type TrackingEvent,
} from '../src/index.js';

const config = {
  uri: 'file:./mlruns',
  experiment: 'plantid',
  localDir: 'mlruns',
  retries: 0,
  timeoutMs: 1000,
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plantid-tracking-'));
});

describe('local store tracker', () => {
  it('keeps params, per-step metrics, tags, artefacts and registrations, and reads them back', async () => {
    const log = createMemoryLogger();
    const tracker = await createTracker(config, { configDir: dir, runId: 'r1', runName: 'first', log });
    await tracker.logParams({ lr: 0.001, epochs: 3, backbone: 'mobilenet_v2' });
    for (let epoch = 0; epoch < 3; epoch++)
      await tracker.logMetrics({ loss: 1 / (epoch + 1), 'val acc': 0.5 + epoch / 10 }, epoch);
    await tracker.logMetrics({ 'test/top1': 0.9, weird: Number.NaN });
    await tracker.setTags({ stage: 'train' });
    await tracker.setTags({ stage: 'evaluate' });
    const report = join(dir, 'report.html');
    await writeFile(report, '<html>ok</html>');
    await tracker.logArtifact(report, 'evaluate/report.html');
    const bundle = join(dir, 'bundle', 'plant', '3');
    await mkdir(join(bundle, 'tfjs'), { recursive: true });
    await writeFile(join(bundle, 'model.onnx'), 'onnx-bytes');
    await writeFile(join(bundle, 'tfjs', 'model.json'), '{}');
    await tracker.registerModel('plant', bundle, { alias: 'candidate' });
    const finished = await tracker.finish();
    expect(finished.sync).toBeUndefined();

    const run = await new LocalStore(join(dir, 'mlruns')).readRun('r1');
    expect(run.info.runName).toBe('first');
    expect(run.status).toBe('FINISHED');
    expect(run.endTime).toBeGreaterThan(0);
    expect(run.params).toEqual({ lr: '0.001', epochs: '3', backbone: 'mobilenet_v2' });
    expect(run.metrics.loss!.map((m) => [m.step, m.value])).toEqual([
      [0, 1],
      [1, 0.5],
      [2, 1 / 3],
    ]);
    expect(run.latest['val acc']).toBeCloseTo(0.7);
    expect(run.latest['test/top1']).toBe(0.9);
    expect(Number.isNaN(run.latest.weird)).toBe(true);
    expect(run.tags).toEqual({ stage: 'evaluate' });
    expect(run.artifacts).toEqual([
      'bundles/plant/3/model.onnx',
      'bundles/plant/3/tfjs/model.json',
      'evaluate/report.html',
    ]);
    expect(await readFile(join(run.dir, 'artifacts', 'evaluate/report.html'), 'utf8')).toBe(
      '<html>ok</html>',
    );
    expect(run.models).toEqual([
      expect.objectContaining({ name: 'plant', artifactPath: 'bundles/plant/3', alias: 'candidate' }),
    ]);
  });

  it('keeps the first value of a param, as MLflow does, and says so', async () => {
    const log = createMemoryLogger();
    const tracker = await createTracker(config, { configDir: dir, runId: 'r1', log });
    await tracker.logParams({ lr: 0.1 });
    await tracker.logParams({ lr: 0.1 });
    await tracker.logParams({ lr: 0.2 });
    const run = await new LocalStore(join(dir, 'mlruns')).readRun('r1');
    expect(run.params.lr).toBe('0.1');
    expect(log.lines.join('\n')).toMatch(/param lr was already logged as 0\.1/);
  });

  it('makes keys acceptable to MLflow when logged', async () => {
    const tracker = await createTracker(config, { configDir: dir, runId: 'r1', log: createMemoryLogger() });
    await tracker.logMetrics({ 'acc@3 (val)': 0.5 });
    const run = await new LocalStore(join(dir, 'mlruns')).readRun('r1');
    expect(Object.keys(run.latest)).toEqual(['acc_3 _val_']);
  });

  it('resumes a killed run: keeps its log, drops a torn last line, refuses changed params', async () => {
    const log = createMemoryLogger();
    const first = await createTracker(config, { configDir: dir, runId: 'r1', log });
    await first.logParams({ seed: 42 });
    await first.logMetrics({ loss: 1 }, 0);
    const events = join(dir, 'mlruns', 'runs', 'r1', 'events.jsonl');
    await appendFile(events, '{"type":"metrics","metr'); // killed mid-write
    const second = await createTracker(config, { configDir: dir, runId: 'r1', log });
    await second.logParams({ seed: 7 });
    await second.logMetrics({ loss: 0.5 }, 1);
    await second.finish('FAILED');
    const run = await new LocalStore(join(dir, 'mlruns')).readRun('r1');
    expect(run.params).toEqual({ seed: '42' });
    expect(run.metrics.loss!.map((m) => m.value)).toEqual([1, 0.5]);
    expect(run.status).toBe('FAILED');
    const lines = (await readFile(events, 'utf8')).trim().split('\n');
    expect(() => lines.map((l) => JSON.parse(l))).not.toThrow();
  });

  it('refuses run ids that are not safe folder names and artefact paths leaving the run', async () => {
    await expect(
      createTracker(config, { configDir: dir, runId: '../x', log: createMemoryLogger() }),
    ).rejects.toThrow(/run id "\.\.\/x" is not a safe folder name/);
    const tracker = await createTracker(config, { configDir: dir, runId: 'r1', log: createMemoryLogger() });
    await writeFile(join(dir, 'a.txt'), 'a');
    await expect(tracker.logArtifact(join(dir, 'a.txt'), '../../a.txt')).rejects.toThrow(
      /must be relative and stay inside/,
    );
    await expect(tracker.logArtifact(join(dir, 'missing.txt'))).rejects.toThrow(/missing\.txt: no such file/);
  });

  it('compares two runs: metric deltas and the params that differ', async () => {
    const log = createMemoryLogger();
    const a = await createTracker(config, { configDir: dir, runId: 'a', log });
    await a.logParams({ lr: 0.001, seed: 42 });
    await a.logMetrics({ top1: 0.8, ece: 0.1 });
    const b = await createTracker(config, { configDir: dir, runId: 'b', log });
    await b.logParams({ lr: 0.01, seed: 42 });
    await b.logMetrics({ top1: 0.85, loss: 0.3 });
    const store = new LocalStore(join(dir, 'mlruns'));
    const c = compareRuns(await store.readRun('a'), await store.readRun('b'));
    expect(c.params).toEqual([{ key: 'lr', a: '0.001', b: '0.01' }]);
    expect(c.metrics.find((m) => m.key === 'top1')!.delta).toBeCloseTo(0.05);
    expect(c.metrics.find((m) => m.key === 'ece')).toEqual({ key: 'ece', a: 0.1, b: null, delta: null });
    const text = formatComparison(c);
    expect(text).toMatch(/top1\s+0\.8000\s+0\.8500\s+\+0\.05000/);
    expect(text).toMatch(/lr\s+0\.001\s+0\.01/);
    expect((await store.listRuns()).map((r) => r.info.runId).sort()).toEqual(['a', 'b']);
  });
});

describe('log-batch packing', () => {
  it("keeps every batch within MLflow's limits and loses nothing", () => {
    const events: TrackingEvent[] = [
      {
        type: 'params',
        params: Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`p${i}`, 'x'.repeat(10)])),
      },
      // 100 params of 6000 chars and 100 tags of 8000: within the count limits, over the 1 MB request cap together.
      {
        type: 'tags',
        tags: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`bigtag${i}`, 'w'.repeat(8000)])),
      },
      { type: 'tags', tags: Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`t${i}`, 'y'])) },
      { type: 'tags', tags: { t0: 'latest' } },
      {
        type: 'metrics',
        metrics: Array.from({ length: 2500 }, (_, i) => ({
          key: `m${i % 7}`,
          value: i,
          step: i,
          timestamp: 1,
        })),
      },
      {
        type: 'params',
        params: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`big${i}`, 'z'.repeat(6000)])),
      },
    ];
    const batches = packBatches(events);
    for (const b of batches) {
      expect(b.metrics.length).toBeLessThanOrEqual(BATCH_LIMITS.metrics);
      expect(b.params.length).toBeLessThanOrEqual(BATCH_LIMITS.params);
      expect(b.tags.length).toBeLessThanOrEqual(BATCH_LIMITS.tags);
      expect(b.metrics.length + b.params.length + b.tags.length).toBeLessThanOrEqual(BATCH_LIMITS.total);
      expect(JSON.stringify(b).length).toBeLessThan(1_000_000);
    }
    expect(batches.flatMap((b) => b.params)).toHaveLength(350);
    expect(batches.flatMap((b) => b.metrics)).toHaveLength(2500);
    const tags = batches.flatMap((b) => b.tags);
    expect(tags).toHaveLength(230);
    expect(tags.find((t) => t.key === 't0')!.value).toBe('latest');
  });
});
