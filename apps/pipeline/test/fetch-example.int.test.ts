import { lstat, mkdtemp, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256File } from '@plantid/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SHARED } from '../../../test/support/shared.js';
import { EXAMPLE_PINS } from '../src/example/locations.js';
import { formatPins, readPins } from '../src/example/pins.js';
import { pinsFromCopy } from '../src/example/pins-from-copy.js';
import { exampleSources } from '../src/example/sources.js';
import { type ExampleOrigin, serveExampleOrigin } from './example-origin.js';
import { runInProcess } from './in-process.js';

// `pipeline fetch-example` with the real pins, against a loopback server that serves ../shared's
// files where the origins keep them (the photos one by one, the backbone as the Teachable Machine zip).
let origin: ExampleOrigin;
let dir: string;
const dataset = 'datasets/ph-medicinal-leaf40';

beforeAll(async () => {
  origin = await serveExampleOrigin(SHARED, { cutEvery: 97 });
});
afterAll(() => origin.close());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plantid-fetch-int-'));
  origin.clearRequests();
  origin.tampered.clear();
  return () => rm(dir, { recursive: true, force: true });
});

function fetchExample(env: Record<string, string>) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  return runInProcess(['fetch-example', '--dir', join(dir, 'example')], []).finally(() => {
    process.env = saved;
  });
}

describe('pipeline fetch-example', () => {
  it('pins exactly the files in ../shared, each the bytes its origin holds (git blob as in the manifest)', async () => {
    expect(formatPins(await pinsFromCopy(SHARED, exampleSources))).toBe(await readFile(EXAMPLE_PINS, 'utf8'));
  });

  it('downloads the photos and the backbone from the origins through cut connections, each file verified', async () => {
    const { code, stderr } = await fetchExample({
      PLANTID_EXAMPLE_MIRROR: origin.base,
      PLANTID_SHARED: join(dir, 'none'),
    });
    expect(stderr).not.toMatch(/error/);
    expect(code).toBe(0);
    expect(stderr).toMatch(/datasets\/ph-medicinal-leaf40: downloaded, 4971 files \(29\.1 MB\), verified/);
    expect(stderr).toMatch(/models\/mobilenet_v2_0\.35_224_tm: downloaded, 3 files \(2\.2 MB\), verified/);
    // Every 97th connection was cut halfway; each of those files was continued with a Range request.
    expect(origin.requests.length).toBeGreaterThan(4972 + 40);
    for (const pin of await readPins(EXAMPLE_PINS))
      expect(await sha256File(join(dir, 'example', pin.path))).toBe(await sha256File(join(SHARED, pin.path)));
    expect(stderr).toMatch(/PLANTID_DATA=\S+example\/datasets\/ph-medicinal-leaf40 PLANTID_BACKBONE=/);
  });

  it('links ../shared when it is there and matches the pins, downloading nothing', async () => {
    const { code, stderr } = await fetchExample({
      PLANTID_EXAMPLE_MIRROR: origin.base,
      PLANTID_SHARED: SHARED,
    });
    expect(code).toBe(0);
    expect(stderr).toMatch(/ph-medicinal-leaf40: linked to the shared copy, 4971 files/);
    expect((await lstat(join(dir, 'example', dataset))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(dir, 'example', dataset))).toBe(join(SHARED, dataset));
    expect(origin.requests).toEqual([]);
  });

  it('exits 1 on a wrong checksum, naming the URL and both hashes, with the partial file removed', async () => {
    const pin = (await readPins(EXAMPLE_PINS)).find((p) => p.path.includes('/28Citrus'))!;
    const urlPath = origin.urlPathOf(pin.path);
    origin.tampered.add(urlPath);
    const { code, stderr } = await fetchExample({
      PLANTID_EXAMPLE_MIRROR: origin.base,
      PLANTID_SHARED: join(dir, 'none'),
    });
    expect(code).toBe(1);
    const lines = stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('error: '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^error: ${origin.base}${urlPath.replace(/[()]/g, '\\$&')}: ${pin.path.replace(/[()]/g, '\\$&')} sha256 is [0-9a-f]{64}, expected ${pin.sha256} `,
      ),
    );
    expect(urlPath).toContain('Class28%C2%AD_');
    const staged = join(dir, 'example', pin.path.replace(dataset, `${dataset}.part`));
    await expect(stat(`${staged}.part`)).rejects.toThrow(/ENOENT/);
    await expect(stat(staged)).rejects.toThrow(/ENOENT/);
    await expect(stat(join(dir, 'example', dataset))).rejects.toThrow(/ENOENT/);
  });
});
