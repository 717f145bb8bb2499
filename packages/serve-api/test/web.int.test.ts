import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../test/support/chromium.js';
import type { FeedbackRecord } from '../src/index.js';
import { REPO_ROOT, UNKNOWN_PLANTS } from './fixtures/bundle.js';
import { jpegWithGps } from './fixtures/images.js';
import { startTestServer, type TestServer } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
/** Screenshots land here for a human to look at (git-ignored). */
export const SCREENSHOT_DIR = join(REPO_ROOT, 'bench-results', 'serve-api');

describe('the web page in headless Chromium (phone-sized)', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run .ci/setup.d/30-chromium.sh`);
    server = await startTestServer();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('uploads a real photo, shows three predictions with bars, and sends feedback with consent to the store', async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));

    await page.goto(server.url);
    await expect.poll(() => page.textContent('#model')).toMatch(/leaf-test v1 · knows 5 species/);
    expect(await page.getAttribute('#camera', 'capture')).toBe('environment');

    // A phone photo: JPEG with camera and GPS EXIF, made from a real dataset image.
    const photoPath = server.bundle.heldOut[2]![3]!;
    const jpeg = await jpegWithGps(await readFile(photoPath));
    await page.setInputFiles('#photo', { name: 'leaf.jpg', mimeType: 'image/jpeg', buffer: jpeg });
    await page.waitForSelector('#predictions li.prediction:nth-child(3)');
    const rows = await page.$$eval('#predictions li.prediction', (items) =>
      items.map((li) => ({
        label: li.getAttribute('data-label'),
        name: li.querySelector('.name')?.textContent,
        pct: li.querySelector('.pct')?.textContent,
        bar:
          /width:\s*([\d.]+%)/.exec(li.querySelector('.bar > span')?.getAttribute('style') ?? '')?.[1] ?? '',
      })),
    );
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.pct).toMatch(/^\d+\.\d%$/);
      expect(Number.parseFloat(row.bar)).toBeCloseTo(Number.parseFloat(row.pct!), 1);
    }
    expect(await page.isVisible('#preview-img')).toBe(true);
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'web-phone-predictions.png'), fullPage: true });

    // "Wrong" → pick the right species → consent → send.
    expect(await page.isDisabled('#send')).toBe(true);
    await page.click('#wrong');
    const options = await page.$$eval('#species option', (o) =>
      o.map((x) => x.getAttribute('value')).filter((v): v is string => Boolean(v)),
    );
    expect(options).toHaveLength(4);
    expect(options).not.toContain(rows[0]!.label);
    const right = options[0]!;
    await page.selectOption('#species', right);
    await page.check('#consent');
    await page.click('#send');
    await expect
      .poll(() => page.textContent('#feedback-status'))
      .toMatch(/Thank you! Your photo and answer were saved/);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'web-phone-feedback.png'), fullPage: true });

    const records = (await readFile(join(server.settings.feedbackDir, 'feedback.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as FeedbackRecord);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      label: right,
      consent: true,
      correct: false,
      location: null,
      predicted: { label: rows[0]!.label },
    });
    const stored = await readFile(join(server.settings.feedbackDir, records[0]!.image!));
    expect((await sharp(stored).metadata()).exif).toBeUndefined();
    expect(problems).toEqual([]);

    // The page fits a phone: nothing wider than the viewport.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await context.close();
  });

  it('says "doesn\'t look like a plant I know" for a garden plant, and "Not sure — maybe …" when asked for more confidence', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(server.url);
    const species = (await readdir(UNKNOWN_PLANTS)).sort()[0]!;
    const garden = join(UNKNOWN_PLANTS, species, (await readdir(join(UNKNOWN_PLANTS, species))).sort()[0]!);
    await page.setInputFiles('#photo', {
      name: 'garden.jpg',
      mimeType: 'image/jpeg',
      buffer: await readFile(garden),
    });
    await expect
      .poll(() => page.textContent('#verdict'), { timeout: 15_000 })
      .toMatch(/doesn't look like a plant I know.*another photo/i);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'not-recognized.png'), fullPage: true });
    // A leaf it knows, with the identified threshold just above its confidence: "not sure".
    const leaf = await readFile(server.bundle.heldOut[0]![0]!);
    const form = new FormData();
    form.append('image', new Blob([leaf]), 'leaf.jpg');
    const direct = (await (
      await fetch(`${server.url}/v1/predict`, { method: 'POST', body: form })
    ).json()) as {
      predictions: { confidence: number }[];
    };
    const above = (1 + direct.predictions[0]!.confidence) / 2;
    await page.route(
      (url) => url.pathname === '/v1/predict',
      (route) => {
        const url = new URL(route.request().url());
        url.searchParams.set('minConfidence', String(above));
        return route.continue({ url: url.href });
      },
    );
    await page.setInputFiles('#photo', { name: 'leaf.jpg', mimeType: 'image/jpeg', buffer: leaf });
    await expect
      .poll(() => page.textContent('#verdict'), { timeout: 15_000 })
      .toMatch(/^Not sure — maybe .+\. Another photo/);
    expect(await page.isVisible('#predictions li.prediction')).toBe(true);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'not-sure.png'), fullPage: true });
    await page.close();
  });

  it('shows the API error when the file is not a photo', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(server.url);
    await page.setInputFiles('#photo', {
      name: 'notes.jpg',
      mimeType: 'image/jpeg',
      buffer: Buffer.from('just some text, not a photo at all'),
    });
    await expect.poll(() => page.textContent('#status')).toMatch(/not an image/);
    expect(await page.getAttribute('#status', 'class')).toContain('error');
    expect(await page.isHidden('#results')).toBe(true);
    await page.close();
  });

  it('serves Swagger UI that renders the API under the page CSP', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    await page.goto(`${server.url}/docs`);
    await page.waitForSelector('.opblock-summary-path', { timeout: 30_000 });
    const paths = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.textContent?.trim()));
    expect(paths).toContain('/v1/predict');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'docs.png') });
    expect(problems).toEqual([]);
    await page.close();
  });
});
