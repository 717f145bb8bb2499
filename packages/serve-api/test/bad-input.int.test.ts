import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heicFile, notAnImage, pngBomb, truncatedJpeg } from './fixtures/images.js';
import { multipart, readPhotos, startTestServer, type TestServer } from './helpers.js';

interface Case {
  name: string;
  status: number;
  code: string;
  request: () => Promise<Response>;
}

describe('bad input gets a clear 4xx, never a 5xx (real HTTP)', () => {
  let server: TestServer;
  let photo: Buffer;
  const post = (path: string, init: RequestInit) =>
    fetch(`${server.url}${path}`, { method: 'POST', ...init });
  const form = (fields: Record<string, Uint8Array | string>, filename?: string) =>
    post('/v1/predict', { body: multipart(fields, filename) });
  const json = (path: string, body: unknown) =>
    post(path, { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

  beforeAll(async () => {
    server = await startTestServer({ maxUploadBytes: 1024 * 1024 });
    photo = (await readPhotos([server.bundle.heldOut[0]![0]!]))[0]!;
  });
  afterAll(() => server?.close());

  const overLimit = () => {
    const big = Buffer.alloc(1536 * 1024);
    big.set([0xff, 0xd8, 0xff, 0xe0]);
    return big;
  };

  const cases: Case[] = [
    {
      name: 'multipart without an image field',
      status: 400,
      code: 'IMAGE_MISSING',
      request: () => form({ topK: '3' }),
    },
    {
      name: 'image sent in the wrong field',
      status: 400,
      code: 'IMAGE_MISSING',
      request: () => form({ photo: new Uint8Array([0xff, 0xd8, 0xff]) }),
    },
    {
      name: 'JSON without "image"',
      status: 400,
      code: 'INVALID_FIELD',
      request: () => json('/v1/predict', { picture: 'abc' }),
    },
    {
      name: 'empty JSON body',
      status: 400,
      code: 'IMAGE_MISSING',
      request: () => post('/v1/predict', { body: '', headers: { 'content-type': 'application/json' } }),
    },
    {
      name: '0-byte file',
      status: 400,
      code: 'IMAGE_EMPTY',
      request: () => form({ image: new Uint8Array(0) }),
    },
    {
      name: '0-byte base64',
      status: 400,
      code: 'IMAGE_EMPTY',
      request: () => json('/v1/predict', { image: '' }),
    },
    {
      name: 'text bytes named leaf.jpg',
      status: 415,
      code: 'IMAGE_UNSUPPORTED_TYPE',
      request: () => form({ image: notAnImage }, 'leaf.jpg'),
    },
    {
      name: 'truncated JPEG',
      status: 400,
      code: 'IMAGE_UNDECODABLE',
      request: async () => form({ image: await truncatedJpeg(photo) }),
    },
    {
      name: 'HEIC photo',
      status: 415,
      code: 'IMAGE_UNSUPPORTED_TYPE',
      request: () => form({ image: heicFile() }, 'IMG_0001.HEIC'),
    },
    {
      name: 'SVG named .png',
      status: 415,
      code: 'IMAGE_UNSUPPORTED_TYPE',
      request: () =>
        form(
          { image: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="99999" height="99999"/>') },
          'leaf.png',
        ),
    },
    {
      name: 'multipart file over maxUploadMB',
      status: 413,
      code: 'IMAGE_TOO_LARGE',
      request: () => form({ image: overLimit() }),
    },
    {
      name: 'base64 JSON body over the limit',
      status: 413,
      code: 'BODY_TOO_LARGE',
      request: () => json('/v1/predict', { image: overLimit().toString('base64') }),
    },
    {
      name: 'raw image/jpeg body over the limit',
      status: 413,
      code: 'BODY_TOO_LARGE',
      request: () => post('/v1/predict', { body: overLimit(), headers: { 'content-type': 'image/jpeg' } }),
    },
    {
      name: '30000×30000 PNG (decompression bomb)',
      status: 413,
      code: 'IMAGE_TOO_MANY_PIXELS',
      request: async () => form({ image: await pngBomb() }, 'bomb.png'),
    },
    {
      name: 'topK=0',
      status: 400,
      code: 'INVALID_FIELD',
      request: () => post('/v1/predict?topK=0', { body: multipart({ image: photo }) }),
    },
    {
      name: 'topK above the class count',
      status: 400,
      code: 'TOPK_OUT_OF_RANGE',
      request: () => post('/v1/predict?topK=6', { body: multipart({ image: photo }) }),
    },
    {
      name: 'topK not a number',
      status: 400,
      code: 'INVALID_FIELD',
      request: () => post('/v1/predict?topK=many', { body: multipart({ image: photo }) }),
    },
    {
      name: 'topK in a multipart field out of range',
      status: 400,
      code: 'TOPK_OUT_OF_RANGE',
      request: () => form({ topK: '99', image: photo }),
    },
    {
      name: 'invalid base64',
      status: 400,
      code: 'IMAGE_NOT_BASE64',
      request: () => json('/v1/predict', { image: 'not base64 at all!' }),
    },
    {
      name: 'two images on /v1/predict',
      status: 400,
      code: 'TOO_MANY_IMAGES',
      request: () => post('/v1/predict', { body: twoImages(photo) }),
    },
    {
      name: 'malformed multipart body',
      status: 400,
      code: 'MULTIPART_MALFORMED',
      request: () =>
        post('/v1/predict', {
          body: '--XYZ\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\n\xff\xd8\xff',
          headers: { 'content-type': 'multipart/form-data; boundary=XYZ' },
        }),
    },
    {
      name: 'text/plain body',
      status: 415,
      code: 'UNSUPPORTED_CONTENT_TYPE',
      request: () => post('/v1/predict', { body: 'hello', headers: { 'content-type': 'text/plain' } }),
    },
    {
      name: 'unknown route',
      status: 404,
      code: 'NOT_FOUND',
      request: () => fetch(`${server.url}/v1/predictions`),
    },
    {
      name: 'feedback for an unknown prediction',
      status: 404,
      code: 'PREDICTION_NOT_FOUND',
      request: () => json('/v1/feedback', { predictionId: crypto.randomUUID(), label: 'x', consent: false }),
    },
    {
      name: 'feedback without consent field',
      status: 400,
      code: 'INVALID_FIELD',
      request: () => json('/v1/feedback', { predictionId: crypto.randomUUID(), label: 'x' }),
    },
  ];

  it.each(cases)('$name → $status $code', async ({ status, code, request }) => {
    const response = await request();
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await response.json()) as { statusCode: number; code: string; message: string };
    expect({ status: response.status, code: body.code }).toEqual({ status, code });
    expect(body.statusCode).toBe(status);
    expect(body.message.length).toBeGreaterThan(10);
  });

  it('refuses the decompression bomb from its header: memory stays flat', async () => {
    const bomb = await pngBomb();
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 3; i++) {
      const response = await form({ image: bomb }, 'bomb.png');
      expect(response.status).toBe(413);
      expect(((await response.json()) as { message: string }).message).toMatch(/more than \d+ pixels/);
    }
    // Decoding it would need 900 M pixels (2.7 GB as RGB); refusing it needs the upload only.
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('still serves good photos after all of that, and logged no server error', async () => {
    const response = await form({ image: photo }, 'leaf.webp');
    expect(response.status).toBe(200);
    expect(server.logs.filter((l) => (l.level as number) >= 50)).toEqual([]);
  });
});

function twoImages(photo: Buffer): FormData {
  const form = new FormData();
  form.append('image', new Blob([photo]), 'a.webp');
  form.append('image', new Blob([photo]), 'b.webp');
  return form;
}
