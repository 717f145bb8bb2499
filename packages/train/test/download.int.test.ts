import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sha256, UsageError, WorkError } from '@plantid/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadBackbone, hashBackbone, resolveBackbone } from '../src/index.js';
import { backboneJson } from './helpers.js';

const modelDir = dirname(backboneJson);

/** Serves the shared backbone; `/flaky/` fails the first two requests of each file with 503. */
function serve(): Promise<{ server: Server; base: string; requests: string[] }> {
  const requests: string[] = [];
  const failures = new Map<string, number>();
  const server = createServer(async (req, res) => {
    const url = req.url ?? '/';
    requests.push(url);
    const [, prefix, file] = /^\/(\w+)\/(.+)$/.exec(url) ?? [];
    if (prefix === 'flaky' && (failures.get(file!) ?? 0) < 2) {
      failures.set(file!, (failures.get(file!) ?? 0) + 1);
      res.writeHead(503).end('busy');
      return;
    }
    if ((prefix === 'ok' || prefix === 'flaky') && (file === 'model.json' || file === 'weights.bin')) {
      res.writeHead(200).end(await readFile(join(modelDir, file)));
      return;
    }
    res.writeHead(404).end('not found');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }),
    ),
  );
}

describe('backbone download', () => {
  let http: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    http = await serve();
  });
  afterAll(() => new Promise<void>((r) => http.server.close(() => r())));

  it('downloads model.json and its weights once, verifies sha256, then serves from the cache', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'bb-cache-'));
    const expected = sha256(await readFile(backboneJson));
    const url = `${http.base}/ok/model.json`;
    const first = await resolveBackbone(url, { configDir: '/', cacheDir, sha256: expected });
    expect(await hashBackbone(first.modelJson)).toBe(await hashBackbone(backboneJson));
    const before = http.requests.length;
    const again = await resolveBackbone(url, { configDir: '/', cacheDir, sha256: expected });
    expect(again.modelJson).toBe(first.modelJson);
    expect(http.requests.length).toBe(before);
  });

  it('retries with backoff on 5xx and succeeds', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'bb-cache-'));
    const result = await downloadBackbone(`${http.base}/flaky/model.json`, {
      cacheDir,
      attempts: 4,
      backoffMs: 5,
    });
    expect(result.downloaded).toBe(true);
    expect(http.requests.filter((r) => r === '/flaky/model.json')).toHaveLength(3);
  });

  it('refuses a sha256 mismatch, a 404 and an unreachable host with one-line errors naming the URL', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'bb-cache-'));
    const mismatch = await downloadBackbone(`${http.base}/ok/model.json`, {
      cacheDir,
      sha256: '0'.repeat(64),
    }).catch((e) => e);
    expect(mismatch).toBeInstanceOf(WorkError);
    expect(mismatch.toLine()).toMatch(/sha256 is [0-9a-f]{64}, expected 0{64}/);
    const missing = await downloadBackbone(`${http.base}/nope/model.json`, { cacheDir, backoffMs: 1 }).catch(
      (e) => e,
    );
    expect(missing).toBeInstanceOf(UsageError);
    expect(missing.toLine()).toContain('HTTP 404');
    // A port nothing listens on: connection refused on every attempt, like being offline.
    const closed = createServer();
    const port = await new Promise<number>((r) =>
      closed.listen(0, '127.0.0.1', () => r((closed.address() as AddressInfo).port)),
    );
    await new Promise<void>((r) => closed.close(() => r()));
    const offline = await downloadBackbone(`http://127.0.0.1:${port}/model.json`, {
      cacheDir,
      attempts: 2,
      backoffMs: 1,
    }).catch((e) => e);
    expect(offline).toBeInstanceOf(WorkError);
    expect(offline.toLine()).toMatch(/cannot download backbone after 2 attempts \(ECONNREFUSED\).*offline\?/);
  });

  it('names a missing local path', async () => {
    const error = await resolveBackbone('models/missing/model.json', {
      configDir: '/tmp',
      cacheDir: '/tmp',
    }).catch((e) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.toLine()).toMatch(
      /^model\.weights: backbone not found: \/tmp\/models\/missing\/model\.json/,
    );
  });
});
