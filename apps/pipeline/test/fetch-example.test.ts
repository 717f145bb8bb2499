import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createMemoryLogger, sha256, silentProgress, WorkError } from '@plantid/core';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FileServer, serveFiles } from '../../../test/support/file-server.js';
import { type FetchExampleOptions, fetchExample } from '../src/example/fetch.js';
import { formatPins, type PinnedFile, parsePins } from '../src/example/pins.js';
import { type ExampleSource, originUrl } from '../src/example/sources.js';

// fetch-example's download, verify, link and resume logic on a small generated example, served by a
// loopback server laid out like raw.githubusercontent.com (/<owner>/<repo>/<commit>/<path>).
// fetch-example.int.test.ts does the same with the real pins and ../shared's files.
const photos: ExampleSource = {
  dir: 'datasets/leaves',
  title: 'leaves',
  license: 'CC0',
  repo: 'someone/leaves',
  commit: 'a'.repeat(40),
  kind: 'files',
  path: 'data/photos',
};
const model: ExampleSource = {
  dir: 'models/tiny',
  title: 'tiny',
  license: 'Apache-2.0',
  repo: 'someone/models',
  commit: 'b'.repeat(40),
  kind: 'zip',
  path: 'test/model.zip',
};
const sources = [photos, model];

/** Files by their path below the fetch dir; the one in `(soft)` is named with a soft hyphen at the origin. */
const contents = new Map<string, Buffer>();
for (const folder of ['Basil', 'Mint (M)', '(soft)'])
  for (let i = 1; i <= 4; i++)
    contents.set(`${photos.dir}/${folder}/Leaf_${i}.webp`, randomBytes(20_000 + i));
for (const name of ['model.json', 'weights.bin', 'metadata.json'])
  contents.set(`${model.dir}/${name}`, randomBytes(name === 'weights.bin' ? 200_000 : 500));
const originName = (path: string) =>
  path.includes('(soft)') ? path.split('/').at(-1)!.replace('_', '\u00ad_') : undefined;
const pins: PinnedFile[] = [...contents].map(([path, bytes]) => {
  const origin = originName(path);
  return { path, bytes: bytes.length, sha256: sha256(bytes), ...(origin ? { originName: origin } : {}) };
});

/** The bytes the origin serves at each URL path. */
function originLayout(): Map<string, Buffer> {
  const served = new Map<string, Buffer>();
  const zip: Record<string, Uint8Array> = {};
  for (const pin of pins) {
    const bytes = contents.get(pin.path)!;
    if (pin.path.startsWith(photos.dir)) {
      const below = pin.path.slice(photos.dir.length + 1);
      const name = pin.originName ?? below.split('/').at(-1)!;
      const folder = below.split('/')[0]!;
      served.set(new URL(originUrl(photos, `${photos.path}/${folder}/${name}`, 'http://x')).pathname, bytes);
    } else zip[pin.path.split('/').at(-1)!] = bytes;
  }
  served.set(new URL(originUrl(model, model.path, 'http://x')).pathname, Buffer.from(zipSync(zip)));
  return served;
}

/** URL paths answered with other bytes, and answered by cutting the connection halfway once. */
const tampered = new Set<string>();
const cut = new Set<string>();
let origin: FileServer;
let dir: string;
beforeAll(async () => {
  const files = originLayout();
  origin = await serveFiles((path) => files.get(path), {
    tamper: (path) => tampered.has(path),
    cut: (path) => cut.delete(path),
  });
});
afterAll(() => origin.close());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plantid-fetch-'));
  origin.requests.length = 0;
  tampered.clear();
  cut.clear();
  return () => rm(dir, { recursive: true, force: true });
});
const requested = () => origin.requests.map((r) => r.path);

const options = (more: Partial<FetchExampleOptions> = {}): FetchExampleOptions => ({
  dir: join(dir, 'example'),
  origin: origin.base,
  log: createMemoryLogger(),
  progress: silentProgress,
  backoffMs: 1,
  ...more,
});

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

/** The example under `root` is exactly the pinned files (a linked source is listed through its link). */
async function expectExample(root: string) {
  const listed = [];
  for (const source of sources)
    listed.push(...(await filesUnder(join(root, source.dir))).map((f) => `${source.dir}/${f}`));
  expect(listed.sort()).toEqual([...contents.keys()].sort());
  for (const [path, bytes] of contents) expect((await readFile(join(root, path))).equals(bytes)).toBe(true);
}

describe('fetch-example', () => {
  it('reads back the pins it writes, origin names included', () => {
    const text = formatPins(pins);
    expect(text).toContain('[datasets/leaves/(soft)]\nLeaf_1.webp\t20001\t');
    expect(text).toContain('\tLeaf%C2%AD_1.webp\n');
    expect(parsePins(text, 'pins.tsv')).toEqual([...pins].sort((a, b) => (a.path < b.path ? -1 : 1)));
    expect(() => parsePins('[x]\nLeaf.webp\t12\tnot-a-hash\n', 'pins.tsv')).toThrow(
      /^line 2 is not "name<TAB>bytes<TAB>sha256" under a \[folder\]/,
    );
  });

  it('downloads every file from its origin (the zip unpacked), verified, then finds it all there', async () => {
    const first = await fetchExample(sources, pins, options());
    expect(first.map((s) => [s.dir, s.how, s.files])).toEqual([
      [photos.dir, 'downloaded', 12],
      [model.dir, 'downloaded', 3],
    ]);
    await expectExample(join(dir, 'example'));
    expect(requested()).toContain(`/someone/leaves/${photos.commit}/data/photos/(soft)/Leaf\u00ad_1.webp`);
    expect(requested().filter((r) => r.endsWith('model.zip'))).toHaveLength(1);
    expect(await readdir(join(dir, 'example', 'models'))).toEqual(['tiny']);

    origin.requests.length = 0;
    const again = await fetchExample(sources, pins, options());
    expect(again.map((s) => s.how)).toEqual(['present', 'present']);
    expect(requested()).toEqual([]);
  });

  it('continues after cut connections, and after a kill without fetching a finished file again', async () => {
    const photoUrls = [...originLayout().keys()].filter((p) => p.includes('/leaves/'));
    for (const path of photoUrls.slice(0, 3)) cut.add(path);
    cut.add(new URL(originUrl(model, model.path, 'http://x')).pathname);
    const stop = new AbortController();
    let finished = 0;
    const killed = await fetchExample(
      sources,
      pins,
      options({
        signal: stop.signal,
        concurrency: 1,
        progress: () => ({
          tick: () => {
            if (++finished === 5) stop.abort();
          },
          setTotal() {},
          stop() {},
        }),
      }),
    ).catch((e) => e);
    expect(killed).toBeInstanceOf(Error);
    expect(killed.name).toBe('AbortError');
    const staging = join(dir, 'example', `${photos.dir}.part`);
    const kept = (await filesUnder(staging)).filter((f) => !f.endsWith('.part'));
    expect(kept.length).toBeGreaterThanOrEqual(5);
    await expect(stat(join(dir, 'example', photos.dir))).rejects.toThrow(/ENOENT/);

    origin.requests.length = 0;
    const resumed = await fetchExample(sources, pins, options());
    expect(resumed.map((s) => s.how)).toEqual(['downloaded', 'downloaded']);
    await expectExample(join(dir, 'example'));
    const refetched = requested().filter((r) => kept.some((k) => r.endsWith(`/${k}`)));
    expect(refetched).toEqual([]);
    expect(cut.size).toBe(0);
  });

  it('on a wrong checksum removes the partial file, names the URL and both hashes, and places nothing', async () => {
    const [path] = [...originLayout().keys()].filter((p) => p.includes('/Mint'));
    tampered.add(path!);
    const error = await fetchExample(sources, pins, options({ concurrency: 1 })).catch((e) => e);
    expect(error).toBeInstanceOf(WorkError);
    expect(error.exitCode).toBe(1);
    const pin = pins.find((p) => decodeURIComponent(path!).endsWith(p.path.slice(photos.dir.length)))!;
    const actual = sha256(Buffer.from(contents.get(pin.path)!).reverse());
    expect(error.toLine()).toContain(
      `${origin.base}${path}: ${pin.path} sha256 is ${actual}, expected ${pin.sha256}`,
    );
    const staged = join(dir, 'example', `${pin.path.replace(photos.dir, `${photos.dir}.part`)}`);
    await expect(stat(staged)).rejects.toThrow(/ENOENT/);
    await expect(stat(`${staged}.part`)).rejects.toThrow(/ENOENT/);
    await expect(stat(join(dir, 'example', photos.dir))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a download that is no zip archive, naming its URL, and removes it', async () => {
    tampered.add(new URL(originUrl(model, model.path, 'http://x')).pathname);
    const error = await fetchExample([model], pins, options()).catch((e) => e);
    expect(error).toBeInstanceOf(WorkError);
    expect(error.toLine()).toMatch(
      new RegExp(
        `^${originUrl(model, model.path, origin.base)}: not a zip archive \\(.+\\) \\(.*it was removed\\)$`,
      ),
    );
    expect(await readdir(join(dir, 'example', 'models'))).toEqual(['tiny.part']);
    expect(await readdir(join(dir, 'example', 'models', 'tiny.part'))).toEqual([]);
  });

  it('names the archive entry and both hashes when the archive unpacks to other bytes', async () => {
    const wrong = pins.map((p) => (p.path.endsWith('weights.bin') ? { ...p, sha256: 'f'.repeat(64) } : p));
    const error = await fetchExample([model], wrong, options()).catch((e) => e);
    expect(error).toBeInstanceOf(WorkError);
    const actual = sha256(contents.get(`${model.dir}/weights.bin`)!);
    expect(error.toLine()).toBe(
      `${originUrl(model, model.path, origin.base)}: weights.bin in the archive: sha256 is ${actual}, expected ${'f'.repeat(64)} (the archive changed at its origin or arrived corrupted; it was removed)`,
    );
    expect(await readdir(join(dir, 'example', 'models'))).toEqual(['tiny.part']);
  });

  it('links a shared copy that matches the pins, and downloads instead of linking one that does not', async () => {
    const shared = join(dir, 'shared');
    for (const [path, bytes] of contents) {
      await mkdir(dirname(join(shared, path)), { recursive: true });
      await writeFile(join(shared, path), bytes);
    }
    await writeFile(join(shared, model.dir, 'weights.bin'), randomBytes(10));
    const log = createMemoryLogger();
    const fetched = await fetchExample(sources, pins, options({ shared, log }));
    expect(fetched.map((s) => s.how)).toEqual(['linked', 'downloaded']);
    expect((await lstat(join(dir, 'example', photos.dir))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(dir, 'example', photos.dir))).toBe(join(shared, photos.dir));
    expect(requested().filter((r) => r.includes('/leaves/'))).toEqual([]);
    expect(log.lines.join('\n')).toMatch(
      /models\/tiny does not match the example's pins \(.*weights\.bin has 10 bytes/,
    );
    await expectExample(join(dir, 'example'));
  });

  it('refuses a fetched copy that was changed since, without touching it', async () => {
    await fetchExample(sources, pins, options());
    const edited = join(dir, 'example', photos.dir, 'Basil', 'Leaf_2.webp');
    await writeFile(edited, 'edited');
    const error = await fetchExample(sources, pins, options()).catch((e) => e);
    expect(error).toBeInstanceOf(WorkError);
    expect(error.toLine()).toMatch(
      /datasets\/leaves: does not match the example's pins: .*Leaf_2\.webp has 6 bytes, expected 20002 \(remove .* and run fetch-example again\)/,
    );
    expect(await readFile(edited, 'utf8')).toBe('edited');
  });
});
