import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readManifest, WorkError } from '@plantid/core';
import { describe, expect, it } from 'vitest';
import { datasetStage } from '../src/index.js';
import { raw } from './fixtures.js';
import { stageContext } from './helpers.js';

async function images(dir: string, names: string[], firstSeed: number) {
  await mkdir(dir, { recursive: true });
  for (const [k, n] of names.entries())
    await raw(firstSeed + k)
      .jpeg()
      .toFile(join(dir, n));
}

describe('dataset stage with CSV / JSONL manifests and several sources', () => {
  it('honours the split column, reports its cross-split duplicates, skips rows outside the root', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plantid-manifest-'));
    const a = join(dir, 'field');
    await images(
      a,
      Array.from({ length: 12 }, (_, i) => `a${i}.jpg`),
      100,
    );
    await images(
      a,
      Array.from({ length: 12 }, (_, i) => `b${i}.jpg`),
      200,
    );
    await raw(100).webp({ quality: 70 }).toFile(join(a, 'a0-copy.webp'));
    const rows = [
      'path,label,split,licence',
      ...Array.from(
        { length: 12 },
        (_, i) => `a${i}.jpg,Ocimum,${i < 8 ? 'train' : i < 10 ? 'val' : 'test'},CC0`,
      ),
      ...Array.from(
        { length: 12 },
        (_, i) => `b${i}.jpg,Mentha,${i < 8 ? 'train' : i < 10 ? 'val' : 'test'},CC0`,
      ),
      'a0-copy.webp,Ocimum,test,CC0',
      '../../etc/passwd,Ocimum,train,CC0',
      'missing.jpg,Ocimum,train,CC0',
    ];
    await writeFile(join(dir, 'field.csv'), rows.join('\n'));
    const b = join(dir, 'herbarium');
    await images(join(b, 'imgs'), ['h1.png', 'h2.png', 'h3.png', 'h4.png'], 300);
    await writeFile(
      join(dir, 'herbarium.jsonl'),
      ['h1', 'h2', 'h3', 'h4']
        .map((h, i) => JSON.stringify({ path: `imgs/${h}.png`, label: i < 2 ? 'Ocimum' : 'Mentha' }))
        .join('\n'),
    );
    await raw(300)
      .png()
      .toFile(join(b, 'imgs', 'h1.png'));
    const run = await stageContext(
      {
        sources: [
          { name: 'field', root: 'field', manifest: 'field.csv', license: 'CC BY 4.0' },
          { name: 'herbarium', root: 'herbarium', manifest: 'herbarium.jsonl', license: 'CC BY-NC 4.0' },
        ],
      },
      { configDir: dir },
    );
    await datasetStage.run(run.ctx);
    const records = await readManifest(join(run.ctx.outDir, 'manifest.jsonl'));
    expect(records).toHaveLength(29);
    const get = (p: string) => records.find((r) => r.path === p)!;
    expect(get('a3.jpg').split).toBe('train');
    expect(get('a9.jpg').split).toBe('val');
    expect(get('a0-copy.webp').split).toBe('test');
    expect(get('a0.jpg').license).toBe('CC0');
    expect(get('imgs/h1.png')).toMatchObject({ source: 'herbarium', license: 'CC BY-NC 4.0' });
    expect(records.filter((r) => r.source === 'herbarium').every((r) => r.split !== null)).toBe(true);
    const report = JSON.parse(
      await (await import('node:fs/promises')).readFile(join(run.ctx.outDir, 'report.json'), 'utf8'),
    );
    expect(report.leakage.fromManifestSplits).toEqual([
      { a: 'a0.jpg', b: 'a0-copy.webp', splits: ['train', 'test'] },
    ]);
    const warnings = run.lines.map((l) => JSON.parse(l).msg as string);
    expect(
      warnings.some((w) => /field\.csv:27: path "\.\.\/\.\.\/etc\/passwd" is outside the data root/.test(w)),
    ).toBe(true);
    expect(warnings.some((w) => /field\.csv:28: file "missing\.jpg" not found/.test(w))).toBe(true);
  });

  it('fails with exit code 1 when too little usable data remains', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plantid-empty-'));
    await mkdir(join(dir, 'photos', 'Only class'), { recursive: true });
    await writeFile(join(dir, 'photos', 'Only class', 'x.jpg'), 'not an image');
    await mkdir(join(dir, 'photos', 'Empty'), { recursive: true });
    const run = await stageContext({ root: 'photos' }, { configDir: dir });
    const error = await datasetStage.run(run.ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkError);
    expect((error as WorkError).exitCode).toBe(1);
    expect((error as WorkError).message).toMatch(/too little usable data: 0 usable images in 0 class/);
  });

  it('refuses a missing data folder with a usage error naming the key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plantid-missing-'));
    const run = await stageContext({ root: 'nope' }, { configDir: dir });
    await expect(datasetStage.validate!(run.ctx.config, dir)).rejects.toMatchObject({
      exitCode: 2,
      where: 'data.root',
    });
  });
});
