import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installErrorHandling } from '../src/error-handler.js';
import { ERROR_CATALOGUE, errorResponses, errors, plantid } from '../src/index.js';
import { testBundle } from './fixtures/bundle.js';
import { DirectPredictor, logCollector, multipart, readPhotos, sameAnswer } from './helpers.js';

type Doc = {
  info: { description: string };
  paths: Record<
    string,
    Record<
      string,
      {
        responses: Record<
          string,
          { content?: { 'application/json'?: { schema?: { properties?: { code?: { enum?: string[] } } } } } }
        >;
      }
    >
  >;
};

describe('the plugin inside someone else’s Fastify app, under a prefix', () => {
  let app: FastifyInstance;
  let url: string;
  let bundleDir: string;

  beforeAll(async () => {
    const bundle = await testBundle();
    bundleDir = bundle.dir;
    app = Fastify({ logger: false });
    app.get('/', async () => ({ app: 'the host' }));
    await app.register(plantid, {
      prefix: '/plants',
      registryDir: bundle.registryDir,
      feedbackDir: await mkdtemp(join(tmpdir(), 'plantid-plugin-')),
      warmup: 1,
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => app?.close());

  it('is alive before a model is loaded but not ready; ready once it is', async () => {
    expect((await fetch(`${url}/plants/healthz`)).status).toBe(200);
    const before = await fetch(`${url}/plants/readyz`);
    expect(before.status).toBe(503);
    expect(await before.json()).toMatchObject({ status: 'loading', model: null });
    const predict = await fetch(`${url}/plants/v1/predict`, {
      method: 'POST',
      body: multipart({ image: new Uint8Array([1]) }),
    });
    expect(predict.status).toBe(503);
    expect(await predict.json()).toMatchObject({ code: 'MODEL_NOT_LOADED' });

    await app.plantid.load(bundleDir);
    expect((await fetch(`${url}/plants/readyz`)).status).toBe(200);
    expect(await (await fetch(`${url}/plants/healthz`)).json()).toEqual({
      status: 'ok',
      model: { name: 'leaf-test', version: '1' },
    });
  });

  it('predicts through the prefix exactly as in-process inference does, and leaves the host’s routes alone', async () => {
    const bundle = await testBundle();
    const direct = await DirectPredictor.open(bundle.dir);
    try {
      const [photo] = await readPhotos([bundle.heldOut[1]![0]!]);
      const response = await fetch(`${url}/plants/v1/predict?topK=2`, {
        method: 'POST',
        body: multipart({ image: photo! }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        predictions: { label: string; name: string; confidence: number }[];
      };
      expect(sameAnswer(body.predictions, await direct.predict(photo!, 2))).toBe(true);
    } finally {
      await direct.dispose();
    }
    expect(await (await fetch(`${url}/`)).json()).toEqual({ app: 'the host' });
    // Outside the prefix the host's own 404 answers, not plantid's.
    const outside = await fetch(`${url}/v1/predict`, { method: 'POST' });
    expect(outside.status).toBe(404);
    expect(((await outside.json()) as { code?: string }).code).not.toBe('NOT_FOUND');
    // The web page under the prefix: `/plants` redirects to `/plants/`, whose relative URLs stay under it.
    const page = await fetch(`${url}/plants`, { redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/plants/');
    expect(await (await fetch(`${url}/plants/`)).text()).toContain('src="app.js"');
  });

  it('answers 405 with Allow for a known path and another method, 404 for an unknown one', async () => {
    const trace = await fetch(`${url}/plants/v1/predict`, { method: 'DELETE' });
    expect(trace.status).toBe(405);
    expect(trace.headers.get('allow')).toBe('POST');
    expect(await trace.json()).toMatchObject({ statusCode: 405, code: 'METHOD_NOT_ALLOWED' });
    const options = await fetch(`${url}/plants/healthz`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('GET, HEAD');
    const unknown = await fetch(`${url}/plants/v1/predictions`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('documents every catalogued code under the status it is answered with, and the loaded model’s bounds', async () => {
    const doc = (await (await fetch(`${url}/plants/openapi.json`)).json()) as Doc;
    expect(Object.keys(doc.paths).every((p) => p.startsWith('/plants/'))).toBe(true);
    const documented = new Set<string>();
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          const codes = response.content?.['application/json']?.schema?.properties?.code?.enum ?? [];
          for (const code of codes) {
            expect(ERROR_CATALOGUE, `${method} ${path} ${status} ${code}`).toHaveProperty(code);
            expect(ERROR_CATALOGUE[code as keyof typeof ERROR_CATALOGUE].status).toBe(Number(status));
            documented.add(code);
          }
        }
      }
    }
    // Answered by no route, so described once in the document's introduction.
    const unrouted = ['NOT_FOUND', 'METHOD_NOT_ALLOWED'];
    for (const code of unrouted) expect(doc.info.description).toContain(`\`${code}\``);
    expect([...documented, ...unrouted].sort()).toEqual(Object.keys(ERROR_CATALOGUE).sort());

    const predict = doc.paths['/plants/v1/predict']!.post as unknown as {
      parameters: { name: string; schema: { maximum?: number } }[];
    };
    expect(predict.parameters.find((p) => p.name === 'topK')!.schema.maximum).toBe(5);
  });
});

describe('the error handler’s guard', () => {
  it('logs an error when a route answers a code it did not declare, and turns uncatalogued errors into 500 INTERNAL', async () => {
    const { lines, stream } = logCollector();
    const app = Fastify({ logger: { level: 'info', stream } });
    await app.register(async (scope) => {
      installErrorHandling(scope);
      const schema = { response: errorResponses('IMAGE_MISSING') };
      scope.get('/declared', { schema }, async () => {
        throw new errors.IMAGE_MISSING('no image');
      });
      scope.get('/undeclared', { schema }, async () => {
        throw new errors.UNKNOWN_LABEL('label "oak" is not one of the model’s labels');
      });
      scope.get('/uncatalogued', { schema }, async () => {
        throw Object.assign(new Error('a plugin said no'), { statusCode: 418, code: 'FST_TEAPOT' });
      });
    });
    try {
      const declared = await app.inject('/declared');
      expect(declared.statusCode).toBe(400);
      expect(lines.filter((l) => l.event === 'undeclared-error')).toEqual([]);

      const undeclared = await app.inject('/undeclared');
      expect(undeclared.statusCode).toBe(400);
      expect(undeclared.json()).toMatchObject({ code: 'UNKNOWN_LABEL' });
      expect(lines.filter((l) => l.event === 'undeclared-error')).toMatchObject([
        { level: 50, route: '/undeclared', status: 400, code: 'UNKNOWN_LABEL' },
      ]);

      const uncatalogued = await app.inject('/uncatalogued');
      expect(uncatalogued.statusCode).toBe(500);
      expect(uncatalogued.json()).toMatchObject({ code: 'INTERNAL' });
      expect(uncatalogued.body).not.toContain('teapot');
    } finally {
      await app.close();
    }
  });
});
