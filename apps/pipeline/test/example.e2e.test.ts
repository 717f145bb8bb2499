import { existsSync } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readBundle } from '@plantid/bundle';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowServer } from '../../../packages/tracking/test/mlflow-server.js';
import { launchChromium } from '../../../test/support/chromium.js';
import {
  EXAMPLE_RUN_TIMEOUT_MS,
  type ExampleRun,
  examplePipeline,
  exampleRun,
  readmeFirstCommand,
  scratchRuns,
} from '../../../test/support/example-run.js';

// The README's main job, as a user who cloned from GitHub meets it: its first command, as written,
// in a copy of this checkout with no ../shared beside it. fetch-example downloads the example from a
// loopback server laid out like GitHub, and the whole pipeline runs with its tracking sent to a
// real MLflow server (PLANTID_TRACKING_URI), read back here through MLflow's own REST API.
// The run is the shared fixture (test/support/example-run.ts): trained once per test run.
let run: ExampleRun;
type StageRow = { name: string; status: string };
let record: { runDir: string; stages: StageRow[] };

beforeAll(async () => {
  run = await exampleRun();
  record = JSON.parse(await readFile(join(run.runDir, 'run.json'), 'utf8'));
}, EXAMPLE_RUN_TIMEOUT_MS);

const stageDir = (name: string) => join(run.runDir, name);
const stages = (rows: StageRow[]) => rows.map((s) => [s.name, s.status]);

describe("the README's first command, with no ../shared", () => {
  it('is the quick start line as written, run in a copy of the checkout with no ../shared', async () => {
    expect(run.command).toBe(await readmeFirstCommand());
    expect(run.command).toMatch(
      /^source scripts\/setup\.sh && pnpm pipeline fetch-example && pnpm pipeline run/,
    );
    expect(existsSync(join(dirname(run.checkout), 'shared'))).toBe(false);
  });

  it('downloaded the photos and the backbone from the origins', async () => {
    expect(run.output).toMatch(/data\/example\/datasets\/ph-medicinal-leaf40: downloaded, 4971 files/);
    expect(run.output).toMatch(/data\/example\/models\/mobilenet_v2_0\.35_224_tm: downloaded, 3 files/);
    const dataset = join(run.checkout, 'data/example/datasets/ph-medicinal-leaf40');
    expect((await lstat(dataset)).isSymbolicLink()).toBe(false);
    expect(await readdir(dataset)).toHaveLength(40);
    expect(run.originRequests.filter((r) => r.endsWith('/image-model.zip'))).toHaveLength(1);
  });

  it('ran every stage on them without an error or a tracking problem, and registered the model', async () => {
    expect(stages(record.stages)).toEqual([
      ['dataset', 'ran'],
      ['train', 'ran'],
      ['evaluate', 'ran'],
      ['export', 'ran'],
    ]);
    expect(run.output).not.toMatch(/failed: |gate failed|^leak: |tracking unavailable|not yet on http/m);
    expect(await readdir(join(run.registryDir, 'leaf40'))).toContain('1');
    expect(run.bundleDir).toBe(join(run.registryDir, 'leaf40', '1'));
  });
});

describe('the example pipeline on ph-medicinal-leaf40', () => {
  it('reaches ≥ 99 % top-1 and ≥ 99.8 % top-3 on the leak-free test split', async () => {
    const metrics = JSON.parse(await readFile(run.metricsPath, 'utf8'));
    expect(metrics.leakage.pairs).toEqual([]);
    expect(metrics.test.count).toBeGreaterThan(700);
    expect(metrics.test.topK['1']).toBeGreaterThanOrEqual(0.99);
    expect(metrics.test.topK['3']).toBeGreaterThanOrEqual(0.998);
  });

  it('writes a bundle that verifies, with parity within the rules', async () => {
    const bundle = await readBundle(run.bundleDir);
    expect(bundle.labels).toHaveLength(40);
    const parity = bundle.manifest.parity as {
      passed: boolean;
      variants: Record<string, { maxAbsDiff: number; top1Agreement: number }>;
    };
    expect(parity.passed).toBe(true);
    expect(parity.variants.fp32!.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(parity.variants.fp32!.top1Agreement).toBe(1);
    expect(parity.variants.int8!.top1Agreement).toBeGreaterThanOrEqual(0.99);
    expect(parity.variants.fp16!.top1Agreement).toBeGreaterThanOrEqual(0.99);
    expect(stageDir('export')).toContain(run.runId);
  });

  it('logged the run to MLflow: params, per-epoch metrics, the report and the bundle, and registered the model', async () => {
    // A new server on the fixture's store: the run is read back from what MLflow kept.
    const mlflow = await MlflowServer.start(run.mlflowDir);
    try {
      const api = mlflow.api.bind(mlflow);
      type Kv = { key: string; value: string };
      const experiment = await api<{ experiment: { experiment_id: string } }>(
        `experiments/get-by-name?experiment_name=${run.experiment}`,
      );
      const { runs = [] } = await api<{
        runs?: { info: { run_id: string; status: string; artifact_uri: string }; data: { params?: Kv[] } }[];
      }>('runs/search', {
        experiment_ids: [experiment.experiment.experiment_id],
        filter: `tags.\`plantid.run_id\` = '${run.runId}'`,
      });
      expect(runs).toHaveLength(1);
      const logged = runs[0]!;
      expect(logged.info.status).toBe('FINISHED');
      expect(logged.data.params).toContainEqual({ key: 'train.head.lr', value: '0.001' });

      const epochs: { epoch: number; val_loss: number }[] = JSON.parse(
        await readFile(join(stageDir('train'), 'history.json'), 'utf8'),
      );
      const valLoss = await api<{ metrics?: { step: number; value: number }[] }>(
        `metrics/get-history?run_id=${logged.info.run_id}&metric_key=val_loss`,
      );
      expect(valLoss.metrics?.map((m) => m.step).sort((a, b) => a - b)).toEqual(epochs.map((e) => e.epoch));
      expect(valLoss.metrics?.find((m) => m.step === epochs[0]!.epoch)?.value).toBeCloseTo(
        epochs[0]!.val_loss,
        5,
      );

      const listed = async (path: string): Promise<string[]> => {
        const r = await api<{ files?: { path: string; is_dir: boolean }[] }>(
          `artifacts/list?run_id=${logged.info.run_id}&path=${encodeURIComponent(path)}`,
        );
        return (r.files ?? []).map((f) => f.path);
      };
      expect(await listed('evaluate')).toEqual(
        expect.arrayContaining(['evaluate/report.html', 'evaluate/metrics.json']),
      );
      expect(await listed('bundles/leaf40/1')).toEqual(
        expect.arrayContaining(['bundles/leaf40/1/model.onnx', 'bundles/leaf40/1/manifest.json']),
      );

      // MLflow reserves the alias `latest` (models:/leaf40/latest already resolves to the newest version).
      const { model_versions: versions = [] } = await api<{
        model_versions?: { version: string; run_id: string }[];
      }>(`model-versions/search?filter=${encodeURIComponent("name='leaf40'")}`);
      expect(versions.map((v) => [v.version, v.run_id])).toEqual([['1', logged.info.run_id]]);
    } finally {
      await mlflow.stop();
    }
  });

  it('shows report.html in headless Chromium with every chart and the error gallery', async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(pathToFileURL(join(stageDir('evaluate'), 'report.html')).href, { waitUntil: 'load' });
      for (const chart of ['confusion', 'per-class', 'reliability']) {
        const box = await page.locator(`[data-chart="${chart}"] > svg`).boundingBox();
        expect(box?.width, chart).toBeGreaterThan(100);
      }
      const misses = page.locator('#gallery figure.miss img');
      expect(await misses.count()).toBeGreaterThan(0);
      const loaded = await misses.evaluateAll((imgs) =>
        imgs.every((i) => (i as unknown as { naturalWidth: number }).naturalWidth > 0),
      );
      expect(loaded).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await browser?.close();
    }
  });
});

describe('running the example again (on a private copy of its runs)', () => {
  let scratch: Awaited<ReturnType<typeof scratchRuns>>;

  beforeAll(async () => {
    scratch = await scratchRuns(run);
  });
  afterAll(() => scratch?.remove());

  async function again(...args: string[]) {
    const result = await examplePipeline(
      run,
      ['run', '--config', run.config, '--set', `runsDir=${scratch.runsDir}`, '--log', 'json', ...args],
      { PLANTID_TRACKING_URI: `file:${join(scratch.runsDir, '..', 'mlruns')}` },
    );
    const last = result.stdout.trim().split('\n').at(-1);
    return { code: result.code, record: last ? JSON.parse(last) : undefined, stderr: result.stderr };
  }

  it('reuses every stage', async () => {
    const second = await again();
    expect(second.stderr).not.toMatch(/"level":"error"/);
    expect(second.code).toBe(0);
    expect(second.record.stages.every((s: StageRow) => s.status === 'reused')).toBe(true);
  });

  it('stops at evaluate with exit 1 when the gate is out of reach, and export does not run', async () => {
    const gated = await again('--set', 'evaluate.gate.top1=0.9999');
    expect(gated.code).toBe(1);
    const byName = Object.fromEntries(stages(gated.record.stages));
    expect(byName).toMatchObject({
      dataset: 'reused',
      train: 'reused',
      evaluate: 'failed',
      export: 'not-run',
    });
    expect(gated.record.error).toMatch(
      /evaluate\.gate\.top1: test top-1 is 9\d\.\d\d%, below the required 99\.99% by \d\.\d\d%/,
    );
  });

  it('left the shared run untouched', async () => {
    expect((await readdir(run.runsDir)).filter((id) => !id.startsWith('.'))).toEqual([run.runId]);
    expect(await readdir(join(run.registryDir, 'leaf40'))).not.toContain('2');
  });
});
