import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slug, UNKNOWN_PLANTS } from './fixtures/bundle.js';
import { multipart, readPhotos, startTestServer, type TestServer } from './helpers.js';

interface Answer {
  status: 'identified' | 'uncertain' | 'not_recognized';
  rank: string;
  openSet: { score: number | null; thresholds: { open: number | null; confidence: number } };
  predictions: { label: string; name: string; confidence: number }[];
}

/** Two photos of each plantnet10 species: garden plants the leaf fixture model has never seen. */
async function unknownPhotos(): Promise<Buffer[]> {
  const species = (await readdir(UNKNOWN_PLANTS, { withFileTypes: true })).filter((d) => d.isDirectory());
  const paths = await Promise.all(
    species.map(async (d) => {
      const files = (await readdir(join(UNKNOWN_PLANTS, d.name))).sort().slice(0, 2);
      return files.map((f) => join(UNKNOWN_PLANTS, d.name, f));
    }),
  );
  return readPhotos(paths.flat());
}

describe('"not sure" and "not a plant I know" (answer status)', () => {
  let server: TestServer;
  let known: Buffer[];
  let unknown: Buffer[];
  const predict = async (image: Uint8Array, query = '') => {
    const response = await fetch(`${server.url}/v1/predict${query}`, {
      method: 'POST',
      body: multipart({ image }),
    });
    return { status: response.status, body: (await response.json()) as Answer & { message?: string } };
  };

  beforeAll(async () => {
    server = await startTestServer();
    known = await readPhotos(server.bundle.heldOut.flatMap((list) => list.slice(0, 4)));
    unknown = await unknownPhotos();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers photos of other plants not_recognized or uncertain, and most leaf photos identified and right', async () => {
    const unknownAnswers = [];
    for (const photo of unknown) unknownAnswers.push((await predict(photo)).body);
    const notIdentified = unknownAnswers.filter((a) => a.status !== 'identified').length;
    expect(notIdentified / unknown.length).toBeGreaterThanOrEqual(0.9);
    expect(unknownAnswers.filter((a) => a.status === 'not_recognized').length).toBeGreaterThan(0);

    const perClass = 4;
    let right = 0;
    for (const [i, photo] of known.entries()) {
      const { body } = await predict(photo);
      const expected = slug(server.bundle.classes[Math.floor(i / perClass)]!);
      if (body.status === 'identified' && body.predictions[0]!.label === expected) right++;
    }
    expect(right / known.length).toBeGreaterThanOrEqual(0.7);

    // The dashboards' share of "not sure" answers reads these counters.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const count = (status: string) =>
      metrics
        .split('\n')
        .filter((line) => line.startsWith('plantid_answers_total{') && line.includes(`status="${status}"`))
        .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    expect(count('not_recognized')).toBe(unknownAnswers.filter((a) => a.status === 'not_recognized').length);
    expect(count('identified')).toBeGreaterThanOrEqual(right);
    expect(metrics).toMatch(/^plantid_openset_score_count\{[^}]*\} [1-9]/m);
  });

  it('says which score and thresholds decided, and minConfidence per request moves the identified threshold', async () => {
    const strict = await predict(known[0]!, '?minConfidence=1');
    expect(strict.status).toBe(200);
    expect(strict.body.openSet.thresholds.confidence).toBe(1);
    expect(strict.body.openSet.score).toBeGreaterThan(strict.body.openSet.thresholds.open!);
    expect(strict.body.status).toBe('uncertain');
    expect(strict.body.predictions.length).toBeGreaterThan(0);
    const lenient = await predict(known[0]!, '?minConfidence=0');
    expect(lenient.body.status).toBe('identified');
  });

  it('refuses minConfidence outside [0, 1] naming the field', async () => {
    const { status, body } = await predict(known[0]!, '?minConfidence=1.5');
    expect(status).toBe(400);
    expect(body.message).toMatch(/minConfidence/);
  });

  it('answers every photo of a batch with its own status', async () => {
    const form = new FormData();
    form.append('image', new Blob([known[0]!]), 'leaf.jpg');
    form.append('image', new Blob([unknown[0]!]), 'garden.jpg');
    const response = await fetch(`${server.url}/v1/predict/batch`, { method: 'POST', body: form });
    const body = (await response.json()) as { results: (Answer & { index: number })[] };
    expect(response.status).toBe(200);
    expect(body.results[0]!.status).not.toBe('not_recognized');
    expect(body.results[1]!.status).not.toBe('identified');
  });
});

describe('a server-wide open-set threshold', () => {
  let server: TestServer;
  afterAll(async () => {
    await server?.close();
  });
  it('overrides the bundle’s: an open threshold below every score never answers not_recognized', async () => {
    server = await startTestServer({ openSet: { open: -2 } });
    const photos = await unknownPhotos();
    for (const photo of photos.slice(0, 6)) {
      const response = await fetch(`${server.url}/v1/predict`, {
        method: 'POST',
        body: multipart({ image: photo }),
      });
      const body = (await response.json()) as Answer;
      expect(body.openSet.thresholds.open).toBe(-2);
      expect(body.status).not.toBe('not_recognized');
    }
  });
});

describe('POST /v1/identify: several photos of one plant', () => {
  let server: TestServer;
  let leaves: Buffer[];
  const identify = async (photos: Uint8Array[], organs: string[] = []) => {
    const form = new FormData();
    for (const photo of photos) form.append('images', new Blob([photo]), 'plant.jpg');
    for (const organ of organs) form.append('organs', organ);
    const response = await fetch(`${server.url}/v1/identify`, { method: 'POST', body: form });
    return {
      status: response.status,
      body: (await response.json()) as Answer & { photos: Answer[]; message?: string },
    };
  };
  beforeAll(async () => {
    server = await startTestServer();
    leaves = await readPhotos(server.bundle.heldOut[1]!.slice(0, 3));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('fuses photos of one leaf species into one answer and lists each photo’s own', async () => {
    const { status, body } = await identify(leaves, ['leaf', 'leaf', 'auto']);
    expect(status).toBe(200);
    expect(body.photos).toHaveLength(3);
    expect(body.predictions[0]!.label).toBe(slug(server.bundle.classes[1]!));
    const mean = body.photos.reduce((s, p) => s + p.openSet.score!, 0) / 3;
    expect(body.openSet.score).toBeCloseTo(mean, 5);
  });

  it('answers a plant it does not know not identified', async () => {
    const garden = (await unknownPhotos()).slice(0, 2);
    const { body } = await identify(garden);
    expect(body.status).not.toBe('identified');
  });

  it('refuses more than 5 photos, an unknown organ, or organs that do not match the photos, naming them', async () => {
    const six = await identify(Array.from({ length: 6 }, () => leaves[0]!));
    expect(six.status).toBe(400);
    expect(six.body.message).toMatch(/more than 5 photos/);
    const organ = await identify(leaves.slice(0, 2), ['leaf', 'root']);
    expect(organ.status).toBe(400);
    expect(organ.body.message).toMatch(/organs\[1\] is "root"/);
    const count = await identify(leaves.slice(0, 2), ['leaf']);
    expect(count.status).toBe(400);
    expect(count.body.message).toMatch(/organs has 1 entries for 2 photos/);
  });
});
