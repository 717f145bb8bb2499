import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readBundle } from '@plantid/bundle';
import { createEngine } from '@plantid/engine';
import { averageViews, preprocessView, specViews } from '@plantid/preprocess';
import { calibrate, resolveServeSettings, startServer } from '@plantid/serve-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOBILENET_JSON, PLANTNET10 } from '../../../test/support/shared.js';
import { plainEnv } from './plain-env.js';

// The natural-photo example (configs/garden.yaml) on ../shared's plantnet10, run once through the
// real CLI: the backbone at 320 px and three test-time views, trained on, evaluated, exported with
// parity, and served. Runs and registry go to a temp folder.
const cli = resolve(__dirname, '../src/cli.ts');
const garden = resolve(__dirname, '../../../configs/garden.yaml');
let dir: string;
let run: {
  code: number | null;
  record: { runDir: string; stages: { name: string; status: string }[] };
  stderr: string;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plantid-garden-'));
  const result = spawnSync(
    process.execPath,
    [
      '--conditions=@plantid/source',
      '--import',
      import.meta.resolve('tsx'),
      cli,
      'run',
      '--config',
      garden,
      '--set',
      `runsDir=${dir}/runs`,
      '--set',
      `export.registry=${dir}/models`,
      '--set',
      `tracking.uri=file:${dir}/mlruns`,
      '--set',
      `serve.feedbackDir=${dir}/feedback`,
      '--set',
      `data.sources=[{name: feedback, root: ${dir}/feedback, feedback: true}]`,
      '--log',
      'json',
    ],
    {
      encoding: 'utf8',
      env: { ...plainEnv(), PLANTID_DATA: PLANTNET10, PLANTID_BACKBONE: MOBILENET_JSON },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const last = result.stdout.trim().split('\n').at(-1);
  run = { code: result.status, record: last ? JSON.parse(last) : undefined, stderr: result.stderr };
}, 1_500_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bundleDir = () => join(dir, 'models', 'garden', '1');

describe('the garden example on plantnet10', () => {
  it('runs every stage, passes the gate and exits 0', () => {
    expect(run.stderr).not.toMatch(/"level":"error"/);
    expect(run.code).toBe(0);
    expect(run.record.stages.map((s) => [s.name, s.status])).toEqual([
      ['dataset', 'ran'],
      ['train', 'ran'],
      ['evaluate', 'ran'],
      ['export', 'ran'],
    ]);
    expect(run.stderr).toContain('backbone input rebuilt at 320×320');
  });

  it('reaches ≥ 86 % top-1 on the leak-free test split, calibrated to ECE ≤ 0.05', async () => {
    const metrics = JSON.parse(await readFile(join(run.record.runDir, 'evaluate', 'metrics.json'), 'utf8'));
    expect(metrics.leakage.pairs).toEqual([]);
    expect(metrics.test.count).toBeGreaterThan(400);
    expect(metrics.test.topK['1']).toBeGreaterThanOrEqual(0.86);
    expect(metrics.test.eceCalibrated).toBeLessThanOrEqual(0.05);
  });

  it('carries the 320 px input and the three test-time views in the bundle, parity-checked on them', async () => {
    const bundle = await readBundle(bundleDir());
    expect(bundle.preprocess.size).toBe(320);
    expect(bundle.preprocess.tta).toEqual([
      { crop: 1, flip: false },
      { crop: 0.8, flip: false },
      { crop: 0.6, flip: false },
    ]);
    const parity = bundle.manifest.parity!;
    expect(parity.views).toEqual(['c', 'z80', 'z60']);
    expect(parity.passed).toBe(true);
    expect(parity.samples).toBeGreaterThan(400);
    expect(parity.variants.fp32!.maxAbsDiff).toBeLessThanOrEqual(1e-4);
  });

  it('serves the mean over the views: /v1/predict answers what the three views averaged give', async () => {
    const bundle = await readBundle(bundleDir());
    const species = (await readdir(PLANTNET10)).sort()[0]!;
    const photo = join(PLANTNET10, species, (await readdir(join(PLANTNET10, species))).sort()[0]!);
    const bytes = await readFile(photo);
    const engine = await createEngine({ kind: 'onnx', model: bundle.modelPath('fp32'), warmUp: false });
    const views = specViews(bundle.preprocess);
    const perView = await engine.predict(
      Float32Array.from(
        (await Promise.all(views.map((v) => preprocessView(bytes, bundle.preprocess, v)))).flatMap((t) => [
          ...t,
        ]),
      ),
      views.length,
    );
    await engine.dispose();
    const classes = bundle.labels.length;
    const temperature = bundle.temperature === 1 ? null : bundle.temperature;
    const expected = calibrate(averageViews(perView, views.length, classes), temperature);
    const cleanOnly = calibrate(perView.slice(0, classes), temperature);

    const work = await mkdtemp(join(dir, 'serve-'));
    const server = await startServer(
      {
        ...resolveServeSettings({ env: {}, cwd: work, flags: { bundle: bundleDir(), port: 0 } }),
        rateLimit: { max: 0, windowMs: 60_000 },
      },
      { logger: false },
    );
    try {
      const form = new FormData();
      form.append('image', new Blob([bytes]), 'photo.jpg');
      const response = await fetch(`${server.url}/v1/predict`, { method: 'POST', body: form });
      expect(response.status).toBe(200);
      const answer = (await response.json()) as { predictions: { label: string; confidence: number }[] };
      const best = answer.predictions[0]!;
      const index = bundle.labels.findIndex((l) => l.id === best.label);
      expect(best.confidence).toBeCloseTo(expected[index]!, 4);
      expect(Math.abs(expected[index]! - cleanOnly[index]!)).toBeGreaterThan(1e-3);
    } finally {
      await server.close();
    }
  });
});
