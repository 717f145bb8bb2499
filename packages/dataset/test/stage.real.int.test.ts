import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { indexHexHashes, type ManifestRecord, readManifest } from '@plantid/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../test/support/chromium.js';
import { LEAF40 } from '../../../test/support/shared.js';
import { datasetStage } from '../src/index.js';
import { stageContext, type TestContext } from './helpers.js';

// The real ph-medicinal-leaf40, read in place; one full run shared by every test here.
let run: TestContext;
let records: ManifestRecord[];
// biome-ignore lint/suspicious/noExplicitAny: report.json as parsed
let report: any;
const name = (r: { path: string }) => r.path.split('/').pop()!.replace('.webp', '');

beforeAll(async () => {
  run = await stageContext({ root: LEAF40, license: 'CC BY 4.0' }, { configDir: dirname(LEAF40) });
  await datasetStage.run(run.ctx);
  records = await readManifest(join(run.ctx.outDir, 'manifest.jsonl'));
  report = JSON.parse(await readFile(join(run.ctx.outDir, 'report.json'), 'utf8'));
}, 300_000);

describe('dataset stage on ph-medicinal-leaf40', () => {
  it('finds the known exact and near duplicates', () => {
    const stem = (p: string) => p.split('/').pop()!.replace('.webp', '');
    const pair = (a: string, b: string) =>
      (report.duplicates.pairs as { a: string; b: string; kind: string }[]).find(
        (p) => [stem(p.a), stem(p.b)].sort().join() === [a, b].sort().join(),
      );
    expect(pair('Class38_3', 'Class38_109')?.kind).toBe('exact');
    expect(pair('Class38_4', 'Class38_110')?.kind).toBe('exact');
    expect(pair('Class1_21', 'Class1_1')?.kind).toBe('near');
    expect(pair('Class35_124', 'Class35_77')?.kind).toBe('near');
    // One copy of each exact pair is kept; the other points at it and stays out of training.
    const pairRecords = records.filter((r) => ['Class38_3', 'Class38_109'].includes(name(r)));
    const copies = pairRecords.filter((r) => r.flags.includes(`duplicate_of:${r.id}`));
    expect(copies).toHaveLength(1);
    expect(copies[0]!.split).toBeNull();
    expect(pairRecords.find((r) => r !== copies[0])!.split).not.toBeNull();
  });

  it('keeps folder names verbatim with slug ids', () => {
    const r = records.find((x) => x.label === '10Coleus scutellarioides(CS)')!;
    expect(r.labelId).toBe('10coleus-scutellarioides-cs');
    expect(new Set(records.map((x) => x.labelId)).size).toBe(40);
  });

  it('splits with zero cross-split near-duplicate pairs, re-checked from the manifest alone', () => {
    expect(report.leakage.crossSplitDuplicatePairs).toBe(0);
    expect(report.leakage.crossSplitSequencePairs).toBe(0);
    expect(report.leakage.naiveSplit.crossSplitDuplicatePairs).toBeGreaterThan(0);
    // Independent check: every reported near/exact pair and every group stays in one split.
    const byPath = new Map(records.map((r) => [r.path, r]));
    for (const p of report.duplicates.pairs) {
      const a = byPath.get(p.a)!.split;
      const b = byPath.get(p.b)!.split;
      if (a && b) expect(a, `${p.a} ~ ${p.b}`).toBe(b);
    }
    // Exact copies across splits are impossible: same id, different split.
    const usable = records.filter((r) => r.split !== null);
    const index = indexHexHashes(
      usable.map((r) => r.phash!),
      0,
    );
    index.pairs((i, j) => {
      if (usable[i]!.id === usable[j]!.id) expect(usable[i]!.split).toBe(usable[j]!.split);
    });
    const ratio = usable.filter((r) => r.split === 'train').length / usable.length;
    expect(ratio).toBeGreaterThan(0.66);
    expect(ratio).toBeLessThan(0.74);
  });

  it('renders report.html offline in headless Chromium: every chart drawn, no console error', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      page.on(
        'request',
        (r) => !r.url().startsWith('file:') && !r.url().startsWith('data:') && requests.push(r.url()),
      );
      await page.goto(`file://${join(run.ctx.outDir, 'report.html')}`, { waitUntil: 'load' });
      const charts = await page.$$eval('figure.chart', (figs) =>
        figs.map((f) => {
          const svg = f.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          return {
            id: f.id,
            marks: svg ? svg.querySelectorAll('path, rect, circle, line').length : 0,
            w: box?.width ?? 0,
            h: box?.height ?? 0,
          };
        }),
      );
      expect(charts.map((c) => c.id)).toEqual([
        'class-distribution',
        'size-scatter',
        'aspect-histogram',
        'blur-histogram',
        'mean-colour',
      ]);
      for (const c of charts) {
        expect(c.marks, c.id).toBeGreaterThan(5);
        expect(c.w * c.h, c.id).toBeGreaterThan(10_000);
      }
      const images = await page.$$eval('img', (imgs) =>
        imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth),
      );
      expect(images.length).toBeGreaterThan(40 * 8);
      expect(images.every((w) => w > 0)).toBe(true);
      expect(await page.locator('.group').count()).toBeGreaterThan(0);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
