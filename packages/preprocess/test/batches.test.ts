import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImageDecodeError, preprocessBatches, preprocessImage, specFromConfig } from '../src/index.js';
import { solid } from './fixtures.js';

const spec = specFromConfig({ size: 16, resize: 'center-crop', normalize: { scale: 255, offset: 0 } });

describe('preprocessBatches', () => {
  it('streams files into ordered batches equal to preprocessImage', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'batches-'));
    const paths: string[] = [];
    for (let i = 0; i < 7; i++) {
      const path = join(dir, `${i}.png`);
      await writeFile(
        path,
        await solid(20 + i, 20, { r: i * 30, g: 0, b: 0 })
          .png()
          .toBuffer(),
      );
      paths.push(path);
    }
    const batches = [];
    for await (const batch of preprocessBatches(paths, spec, { batchSize: 3, concurrency: 2 }))
      batches.push(batch);
    expect(batches.map((b) => b.count)).toEqual([3, 3, 1]);
    expect(batches.flatMap((b) => b.items)).toEqual(paths);
    const per = 16 * 16 * 3;
    expect(batches[1]!.tensor.subarray(per, 2 * per)).toEqual(
      await preprocessImage(await import('node:fs/promises').then((f) => f.readFile(paths[4]!)), spec),
    );
    expect(batches[2]!.tensor[0]).toBeCloseTo((6 * 30) / 255, 6);
  });

  it("skips undecodable images with onError 'skip' and throws by default", async () => {
    const good = await solid(20, 20, { r: 1, g: 2, b: 3 }).png().toBuffer();
    const bad = new Uint8Array([0, 1, 2]);
    const items = [good, bad, good];
    const out = [];
    for await (const b of preprocessBatches(items, spec, { batchSize: 4, onError: 'skip' })) out.push(b);
    expect(out[0]!.count).toBe(2);
    expect(out[0]!.skipped).toHaveLength(1);
    expect(out[0]!.skipped[0]!.error).toBeInstanceOf(ImageDecodeError);
    const run = async () => {
      for await (const _ of preprocessBatches(items, spec, { batchSize: 4 })) {
      }
    };
    await expect(run()).rejects.toBeInstanceOf(ImageDecodeError);
  });
});
