import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readBundle } from '@plantid/bundle';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowServer } from '../../../packages/tracking/test/mlflow-server.js';
import { launchChromium } from '../../../test/support/chromium.js';
import { LEAF40, MOBILENET_JSON } from '../../../test/support/shared.js';
import { plainEnv } from './plain-env.js';

// The README's main job: the whole example pipeline on ../shared, through the real CLI
// (tests reach ../shared through PLANTID_SHARED; the README's own first command is readme.e2e.test.ts).
// Runs and registry go to a temp folder so the test never touches a user's runs/ or models/;
// tracking goes to a real MLflow server, read back through MLflow's own REST API.
const cli = resolve(__dirname, '../src/cli.ts');
const example = resolve(__dirname, '../../../configs/example.yaml');
let dir: string;
let mlflow: MlflowServer;
let first: ReturnType<typeof pipeline>;

function pipeline(...args: string[]) {
  const result = spawnSync(
    process.execPath,
    [
      '--conditions=@plantid/source',
      '--import',
      import.meta.resolve('tsx'),
      cli,
      'run',
      '--config',
      example,
      '--set',
      `runsDir=${dir}/runs`,
      '--set',
      `export.registry=${dir}/models`,
      '--set',
      `tracking.uri=${mlflow.uri}`,
      '--set',
      `tracking.localDir=${dir}/mlruns`,
      '--log',
      'json',
      ...args,
    ],
    {
      encoding: 'utf8',
      env: { ...plainEnv(), PLANTID_DATA: LEAF40, PLANTID_BACKBONE: MOBILENET_JSON },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const record = result.stdout.trim() ? JSON.parse(result.stdout.trim().split('\n').at(-1)!) : undefined;
  return { code: result.status, record, stderr: result.stderr };
}

function stageDir(name: string): string {
  return join(first.record.runDir, name);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plantid-example-'));
  mlflow = await MlflowServer.start(dir);
  first = pipeline();
}, 900_000);

afterAll(async () => {
  await mlflow?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the example pipeline on ph-medicinal-leaf40', () => {
  it('runs every stage and exits 0', () => {
    expect(first.stderr).not.toMatch(/"level":"error"/);
    expect(first.code).toBe(0);
    expect(first.record.stages.map((s: { name: string; status: string }) => [s.name, s.status])).toEqual([
      ['dataset', 'ran'],
      ['train', 'ran'],
      ['evaluate', 'ran'],
      ['export', 'ran'],
    ]);
  });

  it('reaches ≥ 99 % top-1 and ≥ 99.8 % top-3 on the leak-free test split', async () => {
    const metrics = JSON.parse(await readFile(join(stageDir('evaluate'), 'metrics.json'), 'utf8'));
    expect(metrics.leakage.pairs).toEqual([]);
    expect(metrics.test.count).toBeGreaterThan(700);
    expect(metrics.test.topK['1']).toBeGreaterThanOrEqual(0.99);
    expect(metrics.test.topK['3']).toBeGreaterThanOrEqual(0.998);
  });

  it('writes a bundle that verifies, with parity within the rules', async () => {
    const exportDir = stageDir('export');
    const bundle = await readBundle(join(dir, 'models', 'leaf40', '1'));
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
    expect(exportDir).toContain(first.record.runId);
  });

  it('logs the run to MLflow: params, per-epoch metrics, the report and the bundle, and registers the model', async () => {
    const api = mlflow.api.bind(mlflow);
    type Kv = { key: string; value: string };
    const experiment = await api<{ experiment: { experiment_id: string } }>(
      'experiments/get-by-name?experiment_name=plantid-example',
    );
    const { runs = [] } = await api<{
      runs?: { info: { run_id: string; status: string; artifact_uri: string }; data: { params?: Kv[] } }[];
    }>('runs/search', {
      experiment_ids: [experiment.experiment.experiment_id],
      filter: `tags.\`plantid.run_id\` = '${first.record.runId}'`,
    });
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run.info.status).toBe('FINISHED');
    expect(run.data.params).toContainEqual({ key: 'train.head.lr', value: '0.001' });

    const epochs: { epoch: number; val_loss: number }[] = JSON.parse(
      await readFile(join(stageDir('train'), 'history.json'), 'utf8'),
    );
    const valLoss = await api<{ metrics?: { step: number; value: number }[] }>(
      `metrics/get-history?run_id=${run.info.run_id}&metric_key=val_loss`,
    );
    expect(valLoss.metrics?.map((m) => m.step).sort((a, b) => a - b)).toEqual(epochs.map((e) => e.epoch));
    expect(valLoss.metrics?.find((m) => m.step === epochs[0]!.epoch)?.value).toBeCloseTo(
      epochs[0]!.val_loss,
      5,
    );

    const listed = async (path: string): Promise<string[]> => {
      const r = await api<{ files?: { path: string; is_dir: boolean }[] }>(
        `artifacts/list?run_id=${run.info.run_id}&path=${encodeURIComponent(path)}`,
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
    expect(versions.map((v) => [v.version, v.run_id])).toEqual([['1', run.info.run_id]]);
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

  it('reuses every stage on a second run', () => {
    const second = pipeline();
    expect(second.code).toBe(0);
    expect(second.record.stages.every((s: { status: string }) => s.status === 'reused')).toBe(true);
  });

  it('stops at evaluate with exit 1 when the gate is out of reach, and export does not run', () => {
    const gated = pipeline('--set', 'evaluate.gate.top1=0.9999');
    expect(gated.code).toBe(1);
    const byName = Object.fromEntries(
      gated.record.stages.map((s: { name: string; status: string }) => [s.name, s.status]),
    );
    expect(byName).toMatchObject({ evaluate: 'failed', export: 'not-run' });
    expect(gated.record.error).toMatch(
      /evaluate\.gate\.top1: test top-1 is 9\d\.\d\d%, below the required 99\.99% by \d\.\d\d%/,
    );
  });
});
