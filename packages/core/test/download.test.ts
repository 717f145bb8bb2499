import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FileServer, serveFiles } from '../../../test/support/file-server.js';
import { download, sha256, UsageError, WorkError } from '../src/index.js';

const body = randomBytes(300_000);
const bodySha = sha256(body);

/**
 * `/ok/` honours Range; `/cut<n>/` sends half the body on its first request and drops the connection;
 * `/norange/` ignores Range; `/wrong/` serves other bytes; anything else is 404.
 */
const cut = new Set<string>();
const prefix = (path: string) => path.split('/')[1] ?? '';
let http: FileServer;
let dir: string;
beforeAll(async () => {
  http = await serveFiles((path) => (/^\/(ok|norange|wrong|cut\d)\//.test(path) ? body : undefined), {
    tamper: (path) => prefix(path) === 'wrong',
    ignoreRange: (path) => prefix(path) === 'norange',
    cut: (path) => {
      const first = prefix(path).startsWith('cut') && !cut.has(prefix(path));
      cut.add(prefix(path));
      return first;
    },
  });
});
afterAll(() => http.close());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plantid-download-'));
  http.requests.length = 0;
  http.sent = 0;
  return () => rm(dir, { recursive: true, force: true });
});

/** `path range` per request, e.g. `/cut1/f.bin bytes=150000-`. */
const requests = () => http.requests.map((r) => `${r.path} ${r.range ?? '-'}`);

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('download', () => {
  it('continues after a cut connection with a Range request, and reports progress up to the size', async () => {
    const dest = join(dir, 'f.bin');
    let onDisk = 0;
    const result = await download(`${http.base}/cut1/f.bin`, dest, {
      sha256: bodySha,
      backoffMs: 1,
      progress: (n) => {
        onDisk += n;
      },
    });
    expect(result).toEqual({ sha256: bodySha, bytes: body.length, downloaded: true });
    expect(sha256(await readFile(dest))).toBe(bodySha);
    expect(requests()).toEqual(['/cut1/f.bin -', `/cut1/f.bin bytes=${body.length >> 1}-`]);
    expect(http.sent).toBe(body.length);
    expect(onDisk).toBe(body.length);
    expect(await exists(`${dest}.part`)).toBe(false);
  });

  it('keeps the partial file of a run that gave up, and the next run resumes it', async () => {
    const dest = join(dir, 'f.bin');
    const url = `${http.base}/cut2/f.bin`;
    const stopped = await download(url, dest, { sha256: bodySha, attempts: 1 }).catch((e) => e);
    expect(stopped).toBeInstanceOf(WorkError);
    expect(stopped.toLine()).toMatch(/cut2\/f\.bin: cannot download f\.bin after 1 attempts/);
    expect(await exists(dest)).toBe(false);
    const kept = (await stat(`${dest}.part`)).size;
    expect(kept).toBe(body.length >> 1);

    await download(url, dest, { sha256: bodySha });
    expect(requests().at(-1)).toBe(`/cut2/f.bin bytes=${kept}-`);
    expect(sha256(await readFile(dest))).toBe(bodySha);
  });

  it('starts over when the server ignores Range', async () => {
    const dest = join(dir, 'f.bin');
    await writeFile(`${dest}.part`, body.subarray(0, 1000));
    let onDisk = 0;
    await download(`${http.base}/norange/f.bin`, dest, { sha256: bodySha, progress: (n) => (onDisk += n) });
    expect(sha256(await readFile(dest))).toBe(bodySha);
    expect(onDisk).toBe(body.length);
  });

  it('finishes a partial file that is already whole (416) without downloading it again', async () => {
    const dest = join(dir, 'f.bin');
    await writeFile(`${dest}.part`, body);
    await download(`${http.base}/ok/f.bin`, dest, { sha256: bodySha });
    expect(requests()).toEqual([`/ok/f.bin bytes=${body.length}-`]);
    expect(sha256(await readFile(dest))).toBe(bodySha);
  });

  it('on a wrong checksum removes the partial file and names the URL and both hashes (exit 1)', async () => {
    const dest = join(dir, 'f.bin');
    const url = `${http.base}/wrong/f.bin`;
    const error = await download(url, dest, { sha256: bodySha }).catch((e) => e);
    expect(error).toBeInstanceOf(WorkError);
    expect(error.exitCode).toBe(1);
    const actual = sha256(Buffer.from(body).reverse());
    expect(error.toLine()).toContain(`${url}: f.bin sha256 is ${actual}, expected ${bodySha}`);
    expect(await exists(dest)).toBe(false);
    expect(await exists(`${dest}.part`)).toBe(false);
  });

  it('keeps a file that is already there and matches, without a request', async () => {
    const dest = join(dir, 'f.bin');
    await writeFile(dest, body);
    const result = await download(`${http.base}/ok/f.bin`, dest, { sha256: bodySha });
    expect(result.downloaded).toBe(false);
    expect(http.requests).toEqual([]);
  });

  it('does not retry a refused URL: exit 1, or exit 2 when the URL came from the user', async () => {
    const url = `${http.base}/missing/f.bin`;
    const work = await download(url, join(dir, 'a'), { backoffMs: 1 }).catch((e) => e);
    expect(work).toBeInstanceOf(WorkError);
    expect(work.toLine()).toBe(`${url}: cannot download a: HTTP 404`);
    const usage = await download(url, join(dir, 'b'), { userUrl: true, hints: { refused: 'fix it' } }).catch(
      (e) => e,
    );
    expect(usage).toBeInstanceOf(UsageError);
    expect(usage.toLine()).toBe(`${url}: cannot download b: HTTP 404 (fix it)`);
    expect(http.requests).toHaveLength(2);
  });
});
