import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeedbackRecord } from '../src/index.js';
import { asPng, jpegWithGps } from './fixtures/images.js';
import {
  DirectPredictor,
  multipart,
  readPhotos,
  sameAnswer,
  startTestServer,
  type TestServer,
} from './helpers.js';

interface PredictBody {
  id: string;
  model: { name: string; version: string };
  predictions: { label: string; name: string; confidence: number }[];
  timings: Record<string, number>;
}

describe('the API on a real port', () => {
  let server: TestServer;
  let direct: DirectPredictor;
  let photos: Buffer[];
  const url = (path: string) => `${server.url}${path}`;
  const predict = async (image: Uint8Array, query = '') => {
    const response = await fetch(url(`/v1/predict${query}`), { method: 'POST', body: multipart({ image }) });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as PredictBody,
    };
  };
  const feedback = (body: unknown) =>
    fetch(url('/v1/feedback'), {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });

  beforeAll(async () => {
    server = await startTestServer();
    direct = await DirectPredictor.open(server.bundle.dir);
    photos = await readPhotos(server.bundle.heldOut.map((list) => list[0]!));
  });
  afterAll(async () => {
    await server?.close();
    await direct?.dispose();
  });

  it('predicts the same top-3 as preprocess + ONNX Runtime in-process, with calibrated confidences', async () => {
    const { status, body } = await predict(photos[0]!);
    expect(status).toBe(200);
    expect(body.model).toEqual({ name: 'leaf-test', version: '1' });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.predictions).toHaveLength(3);
    expect(sameAnswer(body.predictions, await direct.predict(photos[0]!))).toBe(true);
    for (const key of ['decodeMs', 'queueMs', 'inferMs', 'totalMs'])
      expect(body.timings[key]).toBeGreaterThanOrEqual(0);
    expect(body.timings.totalMs).toBeGreaterThanOrEqual(body.timings.decodeMs!);
  });

  it('accepts the same photo as multipart, base64 JSON, a data: URL, or a raw image body', async () => {
    const viaForm = (await predict(photos[1]!)).body.predictions;
    const b64 = photos[1]!.toString('base64');
    for (const body of [{ image: b64 }, { image: `data:image/webp;base64,${b64}` }]) {
      const r = await fetch(url('/v1/predict'), {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
      expect(r.status).toBe(200);
      expect(((await r.json()) as PredictBody).predictions).toEqual(viaForm);
    }
    const raw = await fetch(url('/v1/predict'), {
      method: 'POST',
      body: photos[1]!,
      headers: { 'content-type': 'image/webp' },
    });
    expect(((await raw.json()) as PredictBody).predictions).toEqual(viaForm);
  });

  it('decodes PNG and JPEG too, and honours topK from the query, the form or JSON', async () => {
    expect((await predict(await asPng(photos[2]!), '?topK=5')).body.predictions).toHaveLength(5);
    expect((await predict(await jpegWithGps(photos[2]!), '?topK=1')).body.predictions).toHaveLength(1);
    const form = multipart({ topK: '2', image: photos[2]! });
    expect(
      ((await (await fetch(url('/v1/predict'), { method: 'POST', body: form })).json()) as PredictBody)
        .predictions,
    ).toHaveLength(2);
  });

  it('answers a batch per image, in order, with per-image errors for bad ones', async () => {
    const form = new FormData();
    form.append('image', new Blob([photos[0]!]), 'a.webp');
    form.append('image', new Blob([Buffer.from('not an image')]), 'b.jpg');
    form.append('image', new Blob([photos[3]!]), 'c.webp');
    const response = await fetch(url('/v1/predict/batch?topK=2'), { method: 'POST', body: form });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      results: (Partial<PredictBody> & {
        index: number;
        filename: string;
        error?: { statusCode: number; code: string };
      })[];
    };
    expect(body.results.map((r) => r.index)).toEqual([0, 1, 2]);
    expect(body.results[1]!.error).toMatchObject({ statusCode: 415, code: 'IMAGE_UNSUPPORTED_TYPE' });
    expect(sameAnswer(body.results[0]!.predictions!, await direct.predict(photos[0]!, 2))).toBe(true);
    expect(sameAnswer(body.results[2]!.predictions!, await direct.predict(photos[3]!, 2))).toBe(true);
    expect(body.results[2]!.filename).toBe('c.webp');
  });

  it('logs one JSON line per prediction with the sha256 of the input, never the bytes', async () => {
    const { body, headers } = await predict(photos[4]!);
    const line = server.logs.find((l) => l.predictionId === body.id);
    expect(line).toMatchObject({
      msg: 'prediction',
      requestId: headers.get('x-request-id'),
      inputSha256: (await import('@plantid/core')).sha256(photos[4]!),
      top1: { label: body.predictions[0]!.label, confidence: body.predictions[0]!.confidence },
      model: { name: 'leaf-test', version: '1' },
    });
    expect(typeof line!.time).toBe('string');
    expect(typeof line!.latencyMs).toBe('number');
    const all = JSON.stringify(server.logs);
    expect(all).not.toContain(photos[4]!.toString('base64').slice(0, 64));
  });

  it('stores feedback: judgement only without consent; photo without EXIF/GPS with consent; location only when sent', async () => {
    const withGps = await jpegWithGps(photos[0]!);
    expect((await sharp(withGps).metadata()).exif).toBeDefined();

    const first = (await predict(withGps)).body;
    const noConsent = await feedback({
      predictionId: first.id,
      label: first.predictions[0]!.label,
      consent: false,
    });
    expect(noConsent.status).toBe(201);
    expect(await noConsent.json()).toMatchObject({
      correct: true,
      imageStored: false,
      locationStored: false,
    });

    const second = (await predict(withGps)).body;
    const rightLabel = second.predictions[1]!.label;
    const location = { latitude: 14.58, longitude: 121.0 };
    const consented = await feedback({ predictionId: second.id, label: rightLabel, consent: true, location });
    expect(await consented.json()).toMatchObject({ correct: false, imageStored: true, locationStored: true });

    const records = (await readFile(join(server.settings.feedbackDir, 'feedback.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as FeedbackRecord);
    const a = records.find((r) => r.predictionId === first.id)!;
    const b = records.find((r) => r.predictionId === second.id)!;
    expect(a).toMatchObject({
      consent: false,
      image: null,
      imageSha256: null,
      location: null,
      correct: true,
    });
    expect(b).toMatchObject({
      consent: true,
      label: rightLabel,
      correct: false,
      location,
      model: { name: 'leaf-test', version: '1' },
    });
    const stored = await readFile(join(server.settings.feedbackDir, b.image!));
    const meta = await sharp(stored).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect([meta.width, meta.height]).toEqual([500, 500]);
    expect((await import('@plantid/core')).sha256(stored)).toBe(b.imageSha256);
  });

  it('refuses feedback naming a label the model does not know', async () => {
    const { body } = await predict(photos[0]!);
    const response = await feedback({ predictionId: body.id, label: 'oak', consent: false });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'UNKNOWN_LABEL' });
  });

  it('reports health, readiness and the model', async () => {
    expect(await (await fetch(url('/healthz'))).json()).toEqual({
      status: 'ok',
      model: { name: 'leaf-test', version: '1' },
    });
    expect((await fetch(url('/readyz'))).status).toBe(200);
    const models = (await (await fetch(url('/v1/models'))).json()) as { models: Record<string, unknown>[] };
    expect(models.models[0]).toMatchObject({
      name: 'leaf-test',
      version: '1',
      engine: 'onnx',
      variant: 'fp32',
      calibrationTemperature: 1.4,
      preprocess: { size: 224, resize: 'center-crop' },
      inputShape: [null, 224, 224, 3],
    });
    expect(models.models[0]!.labels).toHaveLength(5);
  });

  it('exposes Prometheus metrics for requests, latency, inference, batch sizes, queue wait, answers, confidence, labels and the model', async () => {
    const text = await (await fetch(url('/metrics'))).text();
    expect(text).toMatch(
      /plantid_http_requests_total\{route="\/v1\/predict",method="POST",status="200"\} \d+/,
    );
    expect(text).toContain('plantid_http_request_duration_seconds_bucket');
    expect(text).toMatch(/plantid_inference_duration_seconds_count [1-9]/);
    expect(text).toMatch(/plantid_batch_size_bucket\{le="1"\} [1-9]/);
    expect(text).toMatch(/plantid_predictions_total\{label="[a-z-]+"\} [1-9]/);
    expect(text).toContain('plantid_model_info{name="leaf-test",version="1",engine="onnx",variant="fp32"} 1');
    expect(text).toContain('plantid_process_resident_memory_bytes');
    expect(text).toMatch(
      /plantid_feedback_total\{correct="(true|false)",consent="(true|false)",model="leaf-test",version="1"\} [1-9]/,
    );
    // What the dashboards and alerts read (deploy/grafana, deploy/prometheus/alerts.yml).
    expect(text).toMatch(/plantid_queue_wait_seconds_count [1-9]/);
    expect(text).toMatch(/plantid_answers_total\{status="identified",model="leaf-test",version="1"\} [1-9]/);
    expect(text).toMatch(/plantid_top1_confidence_bucket\{le="1",model="leaf-test",version="1"\} [1-9]/);
    expect(text).toContain('# TYPE plantid_openset_score histogram');
    expect(text).toMatch(/^plantid_ready 1$/m);
  });

  it('publishes an OpenAPI document generated from the route schemas, with the privacy terms, and Swagger UI', async () => {
    const doc = (await (await fetch(url('/openapi.json'))).json()) as {
      info: { description: string };
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, unknown> }; description?: string }>
      >;
    };
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/healthz',
        '/metrics',
        '/readyz',
        '/v1/admin/reload',
        '/v1/feedback',
        '/v1/identify',
        '/v1/models',
        '/v1/predict',
        '/v1/predict/batch',
      ].sort(),
    );
    expect(Object.keys(doc.paths['/v1/predict']!.post!.requestBody!.content).sort()).toEqual([
      'application/json',
      'image/*',
      'multipart/form-data',
    ]);
    // The answer's status, rank and names, and several photos of one plant, are documented.
    const schemas = JSON.stringify(doc);
    for (const word of ['not_recognized', 'AnswerRank', 'scientificName', 'organs', 'minConfidence'])
      expect(schemas).toContain(word);
    expect(doc.info.description).toMatch(/only when\s+feedback is sent with `consent: true`/);
    expect(doc.paths['/v1/feedback']!.post!.description).toContain('never read from the photo');
    const docs = await fetch(url('/docs'), { redirect: 'follow' });
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });

  it('sends security headers, no CORS unless configured, and a request id', async () => {
    const response = await fetch(url('/healthz'), { headers: { origin: 'https://elsewhere.example' } });
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('x-request-id')).toMatch(/[0-9a-f-]{36}/);
    const mine = await fetch(url('/healthz'), { headers: { 'x-request-id': 'trace-123' } });
    expect(mine.headers.get('x-request-id')).toBe('trace-123');
  });
});

describe('configuration that changes behaviour', () => {
  it('serves the same answers with inference on the main thread (serve.inferenceWorker: false)', async () => {
    const server = await startTestServer({ inferenceWorker: false });
    const direct = await DirectPredictor.open(server.bundle.dir);
    try {
      for (const path of server.bundle.heldOut.map((l) => l[5]!)) {
        const photo = await readFile(path);
        const response = await fetch(`${server.url}/v1/predict`, {
          method: 'POST',
          body: multipart({ image: photo }),
        });
        const body = (await response.json()) as PredictBody;
        expect(sameAnswer(body.predictions, await direct.predict(photo))).toBe(true);
      }
      expect(server.app.plantid.holder.current!.engine.description).not.toContain('worker');
    } finally {
      await server.close();
      await direct.dispose();
    }
  });

  it('allows configured CORS origins only', async () => {
    const server = await startTestServer({ corsOrigins: ['https://app.example'] });
    try {
      const ok = await fetch(`${server.url}/v1/models`, { headers: { origin: 'https://app.example' } });
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example');
      const other = await fetch(`${server.url}/v1/models`, { headers: { origin: 'https://evil.example' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await server.close();
    }
  });

  it('rate-limits /v1 routes per client with 429 and Retry-After, but never health checks', async () => {
    const server = await startTestServer({ rateLimit: { max: 3, windowMs: 60_000 } });
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await fetch(`${server.url}/v1/models`)).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const limited = await fetch(`${server.url}/v1/models`);
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
      for (let i = 0; i < 5; i++) expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
