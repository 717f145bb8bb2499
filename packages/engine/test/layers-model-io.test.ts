import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTfjsBackend, loadLayersModel, saveLayersModel } from '../src/index.js';

let dir: string;
beforeAll(async () => {
  await initTfjsBackend();
  dir = await mkdtemp(join(tmpdir(), 'plantid-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function smallModel(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 3], filters: 4, kernelSize: 3, activation: 'relu' }),
      tf.layers.batchNormalization(),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
}

describe('saveLayersModel / loadLayersModel over node fs', () => {
  it('round-trips a model: same topology, same predictions, only model.json + weights.bin written', async () => {
    const model = smallModel();
    const out = join(dir, 'saved');
    await saveLayersModel(model, out);
    expect((await readdir(out)).sort()).toEqual(['model.json', 'weights.bin']);
    for (const source of [join(out, 'model.json'), out, `file://${join(out, 'model.json')}`]) {
      const loaded = await loadLayersModel(source);
      const x = tf.randomUniform([2, 6, 6, 3]);
      const expected = (model.predict(x) as tf.Tensor).dataSync();
      expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from(expected));
      loaded.dispose();
    }
  });

  it('overwrites an earlier save atomically (no temp folders left beside it)', async () => {
    const out = join(dir, 'again');
    await saveLayersModel(smallModel(), out);
    await saveLayersModel(smallModel(), out);
    expect((await readdir(dir)).filter((name) => name.includes('again'))).toEqual(['again']);
  });

  it('names the missing or truncated file', async () => {
    const out = join(dir, 'broken');
    await saveLayersModel(smallModel(), out);
    const weights = await readFile(join(out, 'weights.bin'));
    await writeFile(join(out, 'weights.bin'), weights.subarray(0, weights.length - 4));
    await expect(loadLayersModel(out)).rejects.toMatchObject({
      exitCode: 2,
      where: join(out, 'weights.bin'),
      message: expect.stringMatching(/bytes but the manifest describes/),
    });
    await rm(join(out, 'weights.bin'));
    await expect(loadLayersModel(out)).rejects.toMatchObject({
      where: join(out, 'weights.bin'),
      message: expect.stringMatching(/missing/),
    });
    await expect(loadLayersModel(join(dir, 'nowhere/model.json'))).rejects.toMatchObject({
      where: join(dir, 'nowhere/model.json'),
    });
    await writeFile(join(out, 'model.json'), '{ not json');
    await expect(loadLayersModel(out)).rejects.toThrow(/not valid JSON/);
  });
});
