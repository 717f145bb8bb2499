import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  joinLocation,
  openStorage,
  parseS3Uri,
  resolveS3Settings,
  UsageError,
} from '../src/index.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('storage locations', () => {
  it('parses s3:// URIs and joins paths below them and below folders', () => {
    expect(parseS3Uri('s3://bucket/some/prefix/')).toEqual({ bucket: 'bucket', prefix: 'some/prefix' });
    expect(parseS3Uri('s3://bucket')).toEqual({ bucket: 'bucket', prefix: '' });
    expect(joinLocation('s3://b/p', 'Basil/1.jpg')).toBe('s3://b/p/Basil/1.jpg');
    expect(joinLocation('s3://b', 'x.jpg')).toBe('s3://b/x.jpg');
    expect(joinLocation('/data/photos', 'Basil/1.jpg')).toBe('/data/photos/Basil/1.jpg');
  });

  it('takes S3 settings from the config first, then the standard AWS_* variables', () => {
    const env = { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000', AWS_REGION: 'eu-west-1' };
    expect(resolveS3Settings({}, env)).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
    });
    expect(resolveS3Settings({ region: 'us-west-2' }, {})).toEqual({
      endpoint: undefined,
      region: 'us-west-2',
      forcePathStyle: false,
    });
  });
});

describe('LocalStorage', () => {
  it('lists, writes atomically, refuses a conditional overwrite and checks its folder', async () => {
    const root = await mkdtemp(join(tmpdir(), 'plantid-local-'));
    dirs.push(root);
    const store = openStorage(root);
    await store.write('b/2.txt', 'two');
    await store.write('a/1.txt', 'one');
    expect((await store.list()).map((o) => o.path)).toEqual(['a/1.txt', 'b/2.txt']);
    expect((await store.list('b')).map((o) => o.path)).toEqual(['b/2.txt']);
    await store.write('claim', 'first', { ifAbsent: true });
    await expect(store.write('claim', 'second', { ifAbsent: true })).rejects.toBeInstanceOf(
      AlreadyExistsError,
    );
    expect((await store.read('claim')).toString()).toBe('first');
    expect(await store.localCopy('a/1.txt')).toBe(join(root, 'a', '1.txt'));
    await expect(openStorage(join(root, 'missing')).check()).rejects.toBeInstanceOf(UsageError);
  });
});
