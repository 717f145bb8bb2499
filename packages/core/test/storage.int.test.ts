import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startS3 } from '@plantid/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  mapPool,
  openStorage,
  pullTree,
  pushTree,
  type StorageSettings,
  UsageError,
} from '../src/index.js';

let s3: Awaited<ReturnType<typeof startS3>>;
let settings: StorageSettings;
let cacheDir: string;

beforeAll(async () => {
  s3 = await startS3({ bucket: 'plantid' });
  cacheDir = await mkdtemp(join(tmpdir(), 'plantid-s3-cache-'));
  settings = {
    s3: {
      endpoint: s3.endpoint,
      region: s3.region,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    },
    cacheDir,
  };
});
afterAll(async () => {
  await s3?.stop();
  await rm(cacheDir, { recursive: true, force: true });
});

describe('S3 storage against SeaweedFS', () => {
  it('writes, reads, streams and stats; a conditional write refuses to replace', async () => {
    const store = openStorage('s3://plantid/some/prefix/', settings);
    await store.write('a/b.txt', 'hello');
    expect((await store.read('a/b.txt')).toString()).toBe('hello');
    const chunks: Buffer[] = [];
    for await (const c of await store.readStream('a/b.txt')) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('hello');
    expect(await store.stat('a/b.txt')).toMatchObject({ path: 'a/b.txt', size: 5 });
    expect(await store.stat('a/missing.txt')).toBeNull();
    expect(store.locate('a/b.txt')).toBe('s3://plantid/some/prefix/a/b.txt');
    await store.write('claim.json', '{"v":1}', { ifAbsent: true });
    await expect(store.write('claim.json', '{"v":2}', { ifAbsent: true })).rejects.toBeInstanceOf(
      AlreadyExistsError,
    );
    expect((await store.read('claim.json')).toString()).toBe('{"v":1}');
  });

  it('lists past one page (1,000 keys) in path order', async () => {
    const store = openStorage('s3://plantid/many', settings);
    const names = Array.from({ length: 1003 }, (_, i) => `p/${String(i).padStart(4, '0')}.jpg`);
    await mapPool(names, (n) => store.write(n, 'x'), { concurrency: 32 });
    const listed = await store.list('p');
    expect(listed.map((o) => o.path)).toEqual(names);
    expect(await store.list('nothing-here')).toEqual([]);
  });

  it('caches downloads by ETag: an unchanged object is read once, a changed one again', async () => {
    const store = openStorage('s3://plantid/cache', settings);
    await store.write('leaf.jpg', 'first');
    const one = await store.localCopy('leaf.jpg');
    expect(one.startsWith(cacheDir)).toBe(true);
    const before = (await stat(one)).mtimeMs;
    expect(await store.localCopy('leaf.jpg')).toBe(one);
    expect((await stat(one)).mtimeMs).toBe(before);
    await store.write('leaf.jpg', 'second!');
    const two = await store.localCopy('leaf.jpg');
    expect(two).not.toBe(one);
    expect(await readFile(two, 'utf8')).toBe('second!');
  });

  it('pushes a folder with its commit marker last and pulls it into a mirror', async () => {
    const local = await mkdtemp(join(tmpdir(), 'plantid-push-'));
    const mirror = await mkdtemp(join(tmpdir(), 'plantid-pull-'));
    try {
      await writeFile(join(local, 'model.onnx'), 'weights');
      await writeFile(join(local, '_stage.json'), '{}');
      const store = openStorage('s3://plantid/runs', settings);
      expect(await pushTree(local, store, 'r1/train', { last: ['_stage.json'] })).toBe(2);
      expect(await pullTree(store, 'r1', mirror)).toBe(2);
      expect(await readFile(join(mirror, 'train', 'model.onnx'), 'utf8')).toBe('weights');
      expect(await pullTree(store, 'r1', mirror)).toBe(0);
      // Replaced at the same size: linked again; gone from the bucket: pruned from the mirror.
      await store.write('r1/train/model.onnx', 'WEIGHTS');
      await store.delete('r1/train/_stage.json');
      expect(await pullTree(store, 'r1', mirror, { prune: true })).toBe(1);
      expect(await readFile(join(mirror, 'train', 'model.onnx'), 'utf8')).toBe('WEIGHTS');
      expect(await stat(join(mirror, 'train', '_stage.json')).catch(() => null)).toBeNull();
    } finally {
      await rm(local, { recursive: true, force: true });
      await rm(mirror, { recursive: true, force: true });
    }
  });

  it('a missing bucket and refused credentials are one-line usage errors naming the URI', async () => {
    const missing = openStorage('s3://no-such-bucket/photos', settings);
    const err = await missing.check().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as UsageError).toLine()).toMatch(
      /^s3:\/\/no-such-bucket\/photos: bucket "no-such-bucket" does not exist \(create the bucket/,
    );

    const wrong = openStorage('s3://plantid/photos', {
      ...settings,
      s3: { ...settings.s3, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: 'wrong' } },
    });
    const refused = await wrong.check().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UsageError);
    expect((refused as UsageError).toLine()).toMatch(
      /^s3:\/\/plantid\/photos: access refused \(SignatureDoesNotMatch\) \(check AWS_ACCESS_KEY_ID/,
    );
  });
});
