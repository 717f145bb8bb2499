import { copyFile, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../test/support/chromium.js';
import { evaluateStage } from '../src/index.js';
import { buildFixture, stageContext } from './fixture.js';

// report.html in real headless Chromium (Debian's /usr/bin/chromium, .ci/setup.d/30-chromium.sh).
let browser: Browser;
let reportUrl: string;
let misclassified: number;
let root: string;

beforeAll(async () => {
  const fx = await buildFixture();
  root = fx.root;
  const ctx = await stageContext(fx, '20260103-000000-cccc', {
    evaluate: { topK: [1, 2], gate: { top1: 0.5, maxEce: 0.9 } },
  });
  await evaluateStage.run(ctx);
  const metrics = JSON.parse(await readFile(join(ctx.outDir, 'metrics.json'), 'utf8'));
  misclassified =
    metrics.test.count -
    metrics.test.confusion.reduce((s: number, row: number[], i: number) => s + row[i]!, 0);
  if (process.env.PLANTID_KEEP_REPORT)
    await copyFile(join(ctx.outDir, 'report.html'), process.env.PLANTID_KEEP_REPORT);
  reportUrl = pathToFileURL(join(ctx.outDir, 'report.html')).href;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await rm(root, { recursive: true, force: true });
});

describe('report.html in headless Chromium', () => {
  it('renders every chart and the error gallery, with no console errors and no network', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url());
    });
    await page.goto(reportUrl, { waitUntil: 'load' });

    for (const chart of ['confusion', 'per-class', 'reliability']) {
      const svg = page.locator(`[data-chart="${chart}"] > svg`);
      await expect(svg.count(), chart).resolves.toBe(1);
      const box = await svg.boundingBox();
      expect(box?.width, chart).toBeGreaterThan(100);
      expect(box?.height, chart).toBeGreaterThan(80);
      // Drawn marks, not an empty frame.
      expect(
        await page.locator(`[data-chart="${chart}"] svg path, [data-chart="${chart}"] svg rect`).count(),
        chart,
      ).toBeGreaterThan(5);
    }
    // Confusion cells: 3 × 3 rects with counts written on the non-zero ones.
    const cellTexts = await page.locator('[data-chart="confusion"] svg text').allTextContents();
    expect(cellTexts).toContain('Red');

    const figures = page.locator('#gallery figure.miss');
    expect(await figures.count()).toBe(misclassified);
    const sizes = await figures.locator('img').evaluateAll((imgs) =>
      imgs.map((i) => {
        const img = i as unknown as { complete: boolean; naturalWidth: number };
        return [img.complete, img.naturalWidth];
      }),
    );
    for (const [complete, width] of sizes) {
      expect(complete).toBe(true);
      expect(width).toBe(128);
    }
    const captions = await figures.locator('figcaption').allTextContents();
    expect(captions[0]).toMatch(/pred .+ \d+\.\d%true .+ \d+\.\d%loss \d+\.\d\d/);
    // Highest loss first.
    const losses = captions.map((c) => Number(c.match(/loss (\d+\.\d+)/)![1]));
    expect([...losses].sort((a, b) => b - a)).toEqual(losses);

    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('sorts the per-class table by a column when its header is clicked', async () => {
    const page = await browser.newPage();
    await page.goto(reportUrl);
    const recallHeader = page.locator('#per-class thead th', { hasText: /^recall$/ });
    const recalls = () =>
      page
        .locator('#per-class tbody tr')
        .evaluateAll((rows) =>
          rows.map((r) =>
            Number((r as unknown as { cells: { dataset: { v: string } }[] }).cells[2]!.dataset.v),
          ),
        );
    await recallHeader.click();
    const up = await recalls();
    expect(up).toEqual([...up].sort((a, b) => a - b));
    await recallHeader.click();
    const down = await recalls();
    expect(down).toEqual([...up].sort((a, b) => b - a));
    await page.locator('#per-class thead th', { hasText: /^class$/ }).click();
    const names = await page.locator('#per-class tbody tr td:first-child').allTextContents();
    expect(names).toEqual(['Blue', 'Green', 'Red']);
    await page.close();
  });
});
