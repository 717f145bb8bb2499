import { readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { MetricsFile } from '@plantid/core';
import { WorkError, writeJsonAtomic } from '@plantid/core';
import { preprocessImage, specFromConfig } from '@plantid/preprocess';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateStage } from '../src/index.js';
import {
  buildFixture,
  type Fixture,
  GAIN,
  LABELS,
  randomSignatures,
  SIZE,
  stageContext,
  writeManifest,
} from './fixture.js';

let fx: Fixture;
/** Test-split predictions of the fixture model, computed here in plain JS (not through any engine). */
let expected: { actual: number; predicted: number; probs: number[] }[];

beforeAll(async () => {
  fx = await buildFixture();
  const spec = specFromConfig({ size: SIZE, resize: 'center-crop', normalize: { scale: 127.5, offset: -1 } });
  expected = [];
  for (const r of fx.manifest.filter((m) => m.split === 'test')) {
    const x = await preprocessImage(await readFile(join(fx.photos, r.path as string)), spec);
    const mean = [0, 0, 0];
    for (let i = 0; i < x.length; i++) mean[i % 3]! += x[i]! / (SIZE * SIZE);
    // Kernel maps R→red(2), G→green(1), B→blue(0).
    const logits = [mean[2]! * GAIN, mean[1]! * GAIN, mean[0]! * GAIN];
    const m = Math.max(...logits);
    const e = logits.map((z) => Math.exp(z - m));
    const s = e.reduce((a, b) => a + b, 0);
    const probs = e.map((v) => v / s);
    expected.push({
      actual: LABELS.find((l) => l.id === r.labelId)!.index,
      predicted: probs.indexOf(Math.max(...probs)),
      probs,
    });
  }
});

afterAll(async () => {
  await rm(fx.root, { recursive: true, force: true });
});

async function readMetrics(dir: string): Promise<MetricsFile> {
  return JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8')) as MetricsFile;
}

describe('evaluate stage on a real (tiny) tfjs model', () => {
  it('scores test and val through ONNX Runtime and writes metrics.json, report.html and confusion.png', async () => {
    const ctx = await stageContext(fx, '20260101-000000-aaaa', {
      evaluate: { topK: [1, 2], gate: { top1: 0.5 } },
    });
    const summary = await evaluateStage.run(ctx);
    const metrics = await readMetrics(ctx.outDir);

    expect(metrics.engine).toMatch(/^onnxruntime-node/);
    const matrix = [0, 1, 2].map((a) =>
      [0, 1, 2].map((p) => expected.filter((e) => e.actual === a && e.predicted === p).length),
    );
    expect(metrics.test.confusion).toEqual(matrix);
    const correct = expected.filter((e) => e.actual === e.predicted).length;
    expect(correct).toBeLessThan(expected.length); // the decoys are misclassified
    expect(metrics.test.top1).toBeCloseTo(correct / expected.length, 10);
    expect(metrics.test.count).toBe(18);
    expect(metrics.val.count).toBe(18);
    const meanNll = -expected.reduce((s, e) => s + Math.log(e.probs[e.actual]!), 0) / expected.length;
    expect(metrics.test.logLoss).toBeCloseTo(meanNll, 4);
    expect(metrics.test.perClass.map((c) => c.support)).toEqual([6, 6, 6]);
    expect(metrics.calibration.temperature).toBeGreaterThan(0);
    expect(metrics.calibration.ece.test.before).toBeCloseTo(metrics.test.ece, 10);
    expect(metrics.gate).toMatchObject({
      passed: true,
      checks: [expect.objectContaining({ key: 'evaluate.gate.top1' })],
    });
    expect(metrics.leakage).toMatchObject({ checked: 18, radius: 6, pairs: [] });
    expect(summary).toMatchObject({ top1: expect.any(Number), top2: expect.any(Number), gate: 'passed' });

    const png = await sharp(join(ctx.outDir, 'confusion.png')).metadata();
    expect(png.format).toBe('png');
    expect(png.width).toBeGreaterThan(100);
    const html = await readFile(join(ctx.outDir, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="https?:/); // self-contained
    expect(html.match(/<figure class="miss"/g)).toHaveLength(expected.length - correct);

    expect(ctx.tracker.metrics['test.top1']).toBeCloseTo(metrics.test.top1, 10);
    expect(ctx.tracker.metrics['calibration.temperature']).toBe(metrics.calibration.temperature);
    expect(ctx.tracker.metrics['test.recall.red']).toBeCloseTo(metrics.test.perClass[2]!.recall, 10);
    expect(ctx.tracker.artifacts).toEqual([
      'evaluate/metrics.json',
      'evaluate/report.html',
      'evaluate/confusion.png',
    ]);
  });

  it('gives the same numbers through the tfjs engine', async () => {
    const onnx = await stageContext(fx, '20260101-000001-aaaa');
    await evaluateStage.run(onnx);
    const tfjs = await stageContext(fx, '20260101-000002-aaaa', { engine: { kind: 'tfjs' } });
    await evaluateStage.run(tfjs);
    const a = await readMetrics(onnx.outDir);
    const b = await readMetrics(tfjs.outDir);
    expect(b.engine).toMatch(/^tfjs/);
    expect(b.test.confusion).toEqual(a.test.confusion);
    expect(b.test.logLoss).toBeCloseTo(a.test.logLoss, 4);
    expect(b.calibration.temperature).toBeCloseTo(a.calibration.temperature, 3);
  });

  it('fails the gate with exit 1, saying which threshold failed by how much, and keeps the report', async () => {
    const ctx = await stageContext(fx, '20260101-000003-aaaa', {
      evaluate: { gate: { top1: 0.9999, minRecall: 0.1 } },
    });
    const error = await evaluateStage.run(ctx).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WorkError);
    const work = error as WorkError;
    expect(work.exitCode).toBe(1);
    expect(work.where).toBe('evaluate.gate');
    expect(work.message).toMatch(
      /^gate failed: evaluate\.gate\.top1: test top-1 is \d+\.\d\d%, below the required 99\.99% by \d+\.\d\d%$/,
    );
    expect(ctx.log.lines.join('\n')).toMatch(/gate failed: evaluate\.gate\.top1/);
    expect(ctx.log.lines.join('\n')).not.toMatch(/minRecall/);
    const kept = join(ctx.workDir, 'failed-gate');
    expect(work.hint).toContain(join(kept, 'report.html'));
    const metrics = await readMetrics(kept);
    expect(metrics.gate.passed).toBe(false);
    expect(ctx.tracker.tags['plantid.gate']).toBe('failed');
  });

  it('fails before scoring when a test image is a near duplicate of a training image, listing the pair', async () => {
    const leaky = fx.manifest.map((r) => ({ ...r }));
    const train = leaky.find((r) => r.split === 'train')!;
    const test = leaky.find((r) => r.split === 'test')!;
    const flip = (Number.parseInt((train.phash as string)[15]!, 16) ^ 0b11).toString(16);
    test.phash = `${(train.phash as string).slice(0, 15)}${flip}`; // 2 bits away
    const dir = join(fx.root, 'leaky-dataset');
    const signatures = randomSignatures(leaky.length);
    signatures[leaky.indexOf(test)] = signatures[leaky.indexOf(train)]!; // same picture, re-encoded
    await writeManifest(dir, leaky, signatures);
    await writeJsonAtomic(join(dir, 'labels.json'), LABELS);
    const ctx = await stageContext(fx, '20260101-000004-aaaa', {}, dir);
    await expect(evaluateStage.run(ctx)).rejects.toThrow(
      new RegExp(
        `1 test/train near-duplicate pair\\(s\\) within Hamming 6: ${test.path} ≈ ${train.path} \\(2\\)`,
      ),
    );
    expect(ctx.log.lines.join('\n')).toContain(
      `leak: test ${test.path} ≈ train ${train.path} (Hamming 2, detail 1.000)`,
    );
    await expect(stat(join(ctx.outDir, 'metrics.json'))).rejects.toThrow();
  });

  it('compares against the previous run of the same config', async () => {
    const configPath = join(fx.root, 'config.yaml');
    const runJson = (runId: string, hash: string) => ({
      runId,
      status: 'done',
      configPath,
      configHash: hash,
      stages: [],
    });
    const first = await stageContext(fx, '20260102-000000-bbbb');
    await writeJsonAtomic(join(first.runDir, 'run.json'), runJson(first.runId, 'h1'));
    await evaluateStage.run(first);
    // The runner renames outDir into runs/<id>/evaluate when the stage finishes.
    await rename(first.outDir, join(first.runDir, 'evaluate'));

    const second = await stageContext(fx, '20260102-000001-bbbb', { evaluate: { topK: [1, 2] } });
    await writeJsonAtomic(join(second.runDir, 'run.json'), runJson(second.runId, 'h2'));
    await evaluateStage.run(second);
    const metrics = await readMetrics(second.outDir);
    expect(metrics.previous).toMatchObject({ runId: first.runId, sameConfig: false });
    const html = await readFile(join(second.outDir, 'report.html'), 'utf8');
    expect(html).toContain(`Against run <code>${first.runId}</code> (config file edited since)`);
  });
});
