import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ManifestRecord, readLabels, readManifest } from '@plantid/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { datasetStage } from '../src/index.js';
import { type Fixture, makeFixture } from './fixtures.js';
import { stageContext, type TestContext } from './helpers.js';

let fixture: Fixture;
let run: TestContext;
let records: ManifestRecord[];
const byPath = (p: string) => {
  const r = records.find((x) => x.path === p);
  if (!r) throw new Error(`no record for ${p}`);
  return r;
};

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'plantid-fixture-'));
  fixture = await makeFixture(dir);
  run = await stageContext({ root: 'photos', license: 'CC BY 4.0', minPerClass: 20 }, { configDir: dir });
  await datasetStage.run(run.ctx);
  records = await readManifest(join(run.ctx.outDir, 'manifest.jsonl'));
});

describe('dataset stage on a generated dataset', () => {
  it('flags each broken or unusable file with the right reason and leaves it out of training', () => {
    for (const [path, flags] of Object.entries(fixture.expect)) {
      const r = byPath(path);
      expect(r.flags, path).toEqual(expect.arrayContaining(flags));
      expect(r.split, path).toBeNull();
    }
    // A sharp, ordinary picture carries no quality flag.
    expect(byPath('Rosa rugosa/IMG_0030.jpg').flags).toEqual([]);
  });

  it('groups resized, re-encoded and cropped copies with their original, in one split', () => {
    const original = byPath('Mentha (mint)/IMG_0010.jpg');
    const group = original.flags.find((f) => f.startsWith('near_duplicate_group:'));
    expect(group).toBeDefined();
    const members = records.filter((r) => r.flags.includes(group!));
    expect(members.map((m) => m.path).sort()).toEqual(
      [
        'Mentha (mint)/IMG_0010.jpg',
        'Mentha (mint)/copy cropped.jpg',
        'Mentha (mint)/copy reencoded.webp',
        'Mentha (mint)/copy resized.png',
      ].sort(),
    );
    expect(members.every((m) => m.split !== null)).toBe(true);
    expect(new Set(members.map((m) => m.split)).size).toBe(1);
  });

  it('reports an exact copy under another label as a label conflict', () => {
    const a = byPath('Mentha (mint)/IMG_0020.jpg');
    const b = byPath('Salvia ñandú/copied from mint.jpg');
    expect(b.id).toBe(a.id);
    expect(b.flags).toContain(`duplicate_of:${a.id}`);
    expect(a.flags).toContain('label_conflict');
    expect(b.flags).toContain('label_conflict');
    expect([a.split, b.split]).toEqual([null, null]);
  });

  it('reads every format, honours EXIF orientation and records capture date and camera', () => {
    const rotated = byPath('Salvia ñandú/rotated.jpg');
    expect([rotated.width, rotated.height]).toEqual([160, 240]);
    expect(rotated.camera).toBe('Canon EOS 80D');
    expect(rotated.dateCollected).toBe('2023-05-01T10:11:12');
    expect(rotated.location).toBeNull();
    const formats = Object.fromEntries(
      records.filter((r) => r.format).map((r) => [r.path.split('/').pop(), r.format]),
    );
    expect(formats).toMatchObject({
      'anim.gif': 'gif',
      'scan.tiff': 'tiff',
      'modern.avif': 'avif',
      'copy reencoded.webp': 'webp',
      'copy resized.png': 'png',
    });
    expect(records.every((r) => r.license === 'CC BY 4.0' && r.source === 'photos')).toBe(true);
  });

  it('tells the user about each bad input in one line and keeps going', () => {
    const warnings = run.lines
      .map((l) => JSON.parse(l))
      .filter((l) => l.level === 'warn')
      .map((l) => l.msg as string);
    const has = (re: RegExp) =>
      expect(
        warnings.some((w) => re.test(w)),
        String(re),
      ).toBe(true);
    has(/notes\.jpg: not an image sharp can decode/);
    has(/empty\.jpg: empty file \(0 bytes\)/);
    has(/truncated\.jpg: truncated or damaged/);
    has(/loop: symlink loop/);
    has(/Empty class: class folder "Empty class" has no image files/);
    has(/Broken class: class has 0 usable images of 1/);
    has(/Rosa rugosa: only \d+ usable images \(data.minPerClass 20\)/);
    const blurLine = run.lines
      .map((l) => JSON.parse(l).msg as string)
      .find((m) => m.startsWith('blur threshold: auto'));
    expect(blurLine).toMatch(/= \d+\.\d/);
  });

  it('writes labels sorted by name with slug ids, balanced weights and a leak-free split', async () => {
    const labels = await readLabels(join(run.ctx.outDir, 'labels.json'));
    expect(labels).toEqual([
      { index: 0, id: 'mentha-mint', name: 'Mentha (mint)' },
      { index: 1, id: 'rosa-rugosa', name: 'Rosa rugosa' },
      { index: 2, id: 'salvia-nandu', name: 'Salvia ñandú' },
    ]);
    const weights = JSON.parse(await readFile(join(run.ctx.outDir, 'class_weights.json'), 'utf8')) as Record<
      string,
      number
    >;
    const train = (id: string) => records.filter((r) => r.labelId === id && r.split === 'train').length;
    const total = labels.reduce((s, l) => s + train(l.id), 0);
    for (const l of labels) expect(weights[l.id]).toBeCloseTo(total / (3 * train(l.id)), 5);
    const report = JSON.parse(await readFile(join(run.ctx.outDir, 'report.json'), 'utf8'));
    expect(report.leakage.crossSplitDuplicatePairs).toBe(0);
    expect(new Set(records.filter((r) => r.split).map((r) => r.split))).toEqual(
      new Set(['train', 'val', 'test']),
    );
    expect((await stat(join(run.ctx.outDir, 'class_distribution.png'))).size).toBeGreaterThan(1000);
  });

  it('never touches the user files', async () => {
    const names = await readdir(join(fixture.root, 'Rosa rugosa'));
    expect(names).toContain('truncated.jpg');
    expect((await stat(join(fixture.root, 'Rosa rugosa', 'empty.jpg'))).size).toBe(0);
  });
});
