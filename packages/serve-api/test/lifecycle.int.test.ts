import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBundle, writeBundle } from '@plantid/bundle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heicFile, notAnImage, truncatedJpeg } from './fixtures/images.js';
import {
  DirectPredictor,
  multipart,
  pool,
  readPhotos,
  sameAnswer,
  startTestServer,
  type TestServer,
} from './helpers.js';

type Prediction = { label: string; name: string; confidence: number };

describe('200 requests at concurrency 16, good and bad mixed', () => {
  let server: TestServer;
  let direct: DirectPredictor;

  beforeAll(async () => {
    server = await startTestServer();
    direct = await DirectPredictor.open(server.bundle.dir);
  });
  afterAll(async () => {
    await server?.close();
    await direct?.dispose();
  });

  it('answers every good photo exactly as in-process inference does, every bad one with a 4xx, and no 5xx', async () => {
    const goodPaths = server.bundle.heldOut.flatMap((list) => list.slice(0, 30)); // 150 real photos, 5 classes
    const good = await readPhotos(goodPaths);
    const truncated = await truncatedJpeg(good[0]!);
    const bad = [
      { bytes: notAnImage, status: 415 },
      { bytes: new Uint8Array(0), status: 400 },
      { bytes: truncated, status: 400 },
      { bytes: heicFile(), status: 415 },
    ];
    const expected = await Promise.all(good.map((g) => direct.predict(g)));
    const jobs: { bytes: Uint8Array; status: number; expected?: Prediction[] }[] = [
      ...good.map((bytes, i) => ({ bytes, status: 200, expected: expected[i] })),
      ...Array.from({ length: 50 }, (_, i) => bad[i % bad.length]!),
    ];
    // Interleave deterministically so bad requests land between good ones in every batch.
    jobs.sort((a, b) => (hash(a.bytes) % 7) - (hash(b.bytes) % 7));

    const results = await pool(
      jobs.map((job) => async () => {
        const response = await fetch(`${server.url}/v1/predict`, {
          method: 'POST',
          body: multipart({ image: job.bytes }),
        });
        const body = (await response.json()) as { predictions?: Prediction[] };
        return { job, status: response.status, body };
      }),
      16,
    );
    expect(results).toHaveLength(200);
    expect(results.filter((r) => r.status >= 500)).toEqual([]);
    for (const r of results) expect(r.status).toBe(r.job.status);
    const wrong = results.filter(
      (r) => r.status === 200 && !sameAnswer(r.body.predictions!, r.job.expected!),
    );
    expect(wrong).toEqual([]);
    // Concurrency really produced batches larger than one.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const ones = Number(/plantid_batch_size_bucket\{le="1"\} (\d+)/.exec(metrics)![1]);
    const all = Number(/plantid_batch_size_count (\d+)/.exec(metrics)![1]);
    expect(all - ones).toBeGreaterThan(0);
  });
});

function hash(bytes: Uint8Array): number {
  let h = bytes.length;
  for (let i = 0; i < Math.min(bytes.length, 64); i++) h = (h * 31 + bytes[i]!) >>> 0;
  return h;
}

describe('graceful shutdown', () => {
  it('finishes requests in flight, then refuses new connections', async () => {
    const server = await startTestServer();
    const photos = await readPhotos(
      server.bundle.heldOut.map((l) => l[0]!).concat(server.bundle.heldOut.map((l) => l[1]!)),
    );
    const form = new FormData();
    for (const p of photos) form.append('image', new Blob([p]), 'p.webp');
    const inFlight = fetch(`${server.url}/v1/predict/batch`, { method: 'POST', body: form });
    const model = server.app.plantid.holder.current!;
    while (model.batcher.pending === 0) await new Promise((r) => setTimeout(r, 1));
    const closing = server.close();
    const response = await inFlight;
    expect(response.status).toBe(200);
    const body = (await response.json()) as { results: { predictions?: unknown[] }[] };
    expect(body.results.filter((r) => r.predictions?.length === 3)).toHaveLength(photos.length);
    await closing;
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});

describe('admin reload', () => {
  let server: TestServer;
  let registry: string;
  const reload = (bundle: string, token?: string) =>
    fetch(`${server.url}/v1/admin/reload`, {
      method: 'POST',
      body: JSON.stringify({ bundle }),
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
  const TOKEN = 'test-admin-token-0123456789';

  beforeAll(async () => {
    // A registry with the fixture as version 1, a version 2 (same weights) and a damaged version 3.
    const { testBundle } = await import('./fixtures/bundle.js');
    const fixture = await testBundle();
    registry = await mkdtemp(join(tmpdir(), 'plantid-registry-'));
    await cp(fixture.dir, join(registry, 'leaf-test', '1'), { recursive: true });
    const v1 = await readBundle(fixture.dir);
    const input = {
      name: 'leaf-test',
      onnx: { fp32: await readFile(v1.modelPath('fp32')) },
      labels: v1.labels,
      preprocess: v1.preprocess,
      metrics: v1.metrics ?? undefined,
      card: await readFile(v1.cardPath, 'utf8'),
      hashes: v1.manifest.hashes,
    };
    await writeBundle(join(registry, 'leaf-test', '2'), { ...input, version: 2 });
    await cp(join(registry, 'leaf-test', '2'), join(registry, 'leaf-test', '3'), { recursive: true });
    const damaged = join(registry, 'leaf-test', '3', 'model.onnx');
    const bytes = await readFile(damaged);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
    await writeFile(damaged, bytes);
    server = await startTestServer({ adminToken: TOKEN, registryDir: registry, bundle: 'leaf-test@1' });
  });
  afterAll(() => server?.close());

  it('needs the bearer token', async () => {
    const none = await reload('leaf-test@2');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await reload('leaf-test@2', 'wrong-token-wrong-token')).status).toBe(401);
  });

  it('keeps the old model when the new one fails verification', async () => {
    const response = await reload('leaf-test@3', TOKEN);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(
      /still serving the previous model.*model\.onnx.*sha256/,
    );
    expect(await (await fetch(`${server.url}/healthz`)).json()).toMatchObject({ model: { version: '1' } });
  });

  it('answers a ref that names nothing with 404, in terms of the ref and the registry’s models, never its path', async () => {
    for (const ref of ['no-such-model@1', 'leaf-test@9', 'no/such/folder']) {
      const response = await reload(ref, TOKEN);
      expect(response.status).toBe(404);
      const body = (await response.json()) as { code: string; message: string };
      expect(body.code).toBe('BUNDLE_NOT_FOUND');
      expect(body.message).toContain(`"${ref}"`);
      expect(body.message).toContain('leaf-test');
      expect(body.message).not.toContain(registry);
    }
    const damaged = (await (await reload('leaf-test@3', TOKEN)).json()) as { code: string; message: string };
    expect(damaged.code).toBe('RELOAD_FAILED');
    expect(damaged.message).not.toContain(registry);
    expect(await (await fetch(`${server.url}/healthz`)).json()).toMatchObject({ model: { version: '1' } });
  });

  it('swaps to a new version while requests keep being answered', async () => {
    const photo = (await readPhotos([server.bundle.heldOut[0]![0]!]))[0]!;
    const traffic = Array.from({ length: 24 }, () =>
      fetch(`${server.url}/v1/predict`, { method: 'POST', body: multipart({ image: photo }) }).then(
        async (r) => ({
          status: r.status,
          version: ((await r.json()) as { model: { version: string } }).model.version,
        }),
      ),
    );
    const response = await reload('leaf-test@2', TOKEN);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      previous: { version: '1' },
      current: { name: 'leaf-test', version: '2' },
    });
    const answered = await Promise.all(traffic);
    expect(answered.every((a) => a.status === 200)).toBe(true);
    expect(new Set(answered.map((a) => a.version)).size).toBeGreaterThanOrEqual(1);
    const after = await fetch(`${server.url}/v1/predict`, {
      method: 'POST',
      body: multipart({ image: photo }),
    });
    expect(((await after.json()) as { model: { version: string } }).model.version).toBe('2');
    expect(await (await fetch(`${server.url}/metrics`)).text()).toContain(
      'plantid_model_info{name="leaf-test",version="2"',
    );
  });
});

describe('admin routes without a configured token', () => {
  it('are off (403) rather than open', async () => {
    const server = await startTestServer();
    try {
      const response = await fetch(`${server.url}/v1/admin/reload`, {
        method: 'POST',
        body: JSON.stringify({ bundle: 'x' }),
        headers: { 'content-type': 'application/json', authorization: 'Bearer anything-at-all-123' },
      });
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ code: 'ADMIN_DISABLED' });
    } finally {
      await server.close();
    }
  });
});
