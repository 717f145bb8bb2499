import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, createLogger, silentProgress } from '@plantid/core';
import { prepareDataset } from '@plantid/dataset';
import { summariseDataset } from '@plantid/export';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { PLANTNET10 } from '../../../test/support/shared.js';
import { stageRegistry as stages } from '../src/stages.js';
import { runInProcess } from './in-process.js';

/**
 * Constructed fixtures (not recorded from the live service: this machine has no internet), written
 * from the documented schema of GET api.inaturalist.org/v1/observations: `total_results`, `page`,
 * `per_page`, `results[]` with `id`, `uri`, `quality_grade`, `observed_on`, `taxon { id, name, rank }`,
 * `user { login, name }`, `photos[] { id, url (square size), license_code, attribution }`.
 * The photos behind the URLs are real garden photos from ../shared (plantnet10).
 */
const SPECIES = [
  { id: 53589, name: 'Calendula officinalis', folder: 'Calendula_officinalis' },
  { id: 47829, name: 'Cirsium vulgare', folder: 'Cirsium_vulgare' },
];

function observations(base: string) {
  return Array.from({ length: 8 }, (_, i) => {
    const species = SPECIES[i % 2]!;
    const id = 1000 + i * 7;
    const photo = (n: number, license: string | null) => ({
      id: id * 10 + n,
      url: `${base}/photos/${id * 10 + n}/square.jpg`,
      license_code: license,
      attribution: `(c) Observer ${i}, some rights reserved (${license ?? 'all rights reserved'})`,
    });
    return {
      id,
      uri: `https://www.inaturalist.org/observations/${id}`,
      quality_grade: 'research',
      observed_on: `2025-06-${String(i + 1).padStart(2, '0')}`,
      taxon: { id: species.id, name: species.name, rank: 'species' },
      user: { login: `observer${i}`, name: i === 3 ? null : `Observer ${i}` },
      // Observation 2's first photo is all-rights-reserved: its second (cc0) is the one to take.
      photos:
        i === 2
          ? [photo(1, null), photo(2, 'cc0')]
          : [photo(1, i % 3 === 0 ? 'cc-by-sa' : 'cc-by'), photo(2, 'cc-by-nc')],
      species,
      index: i,
    };
  });
}

interface Request {
  at: number;
  path: string;
  query: Record<string, string>;
}

/** One loopback server standing in for api.inaturalist.org (pages of 3) and its photo host. */
async function startFakeInaturalist() {
  const requests: Request[] = [];
  let all: ReturnType<typeof observations> = [];
  let failedOnce = false;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ at: Date.now(), path: url.pathname, query: Object.fromEntries(url.searchParams) });
    const photo = /^\/photos\/(\d+)\/medium\.jpg$/.exec(url.pathname);
    if (photo) {
      const o = all.find((x) => x.photos.some((p) => String(p.id) === photo[1]));
      if (!o) return void res.writeHead(404).end();
      // The first photo asked for fails once, as a busy photo host does: the collector retries it.
      if (!failedOnce) {
        failedOnce = true;
        return void res.writeHead(503).end();
      }
      const files = (await readdir(join(PLANTNET10, o.species.folder))).sort();
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      return void res.end(await readFile(join(PLANTNET10, o.species.folder, files[o.index]!)));
    }
    if (url.pathname !== '/v1/observations') return void res.writeHead(404).end();
    const above = Number(url.searchParams.get('id_above') ?? 0);
    const perPage = Number(url.searchParams.get('per_page'));
    const results = all
      .filter((o) => o.id > above)
      .slice(0, Math.min(perPage, 3))
      .map(({ species: _s, index: _i, ...o }) => o);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ total_results: all.length, page: 1, per_page: perPage, results }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  all = observations(base);
  return { base, requests, close: () => new Promise((r) => server.close(r)) };
}

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('pipeline collect inaturalist', () => {
  it('pages through research-grade observations, keeps allowed licences, writes folders + manifest the dataset reads', async () => {
    const fake = await startFakeInaturalist();
    try {
      const out = join(await mkdtemp(join(tmpdir(), 'plantid-collect-')), 'asteraceae');
      process.env.PLANTID_INATURALIST_API = `${fake.base}/v1`;
      process.env.PLANTID_COLLECT_INTERVAL_MS = '150';
      const result = await runInProcess(
        ['collect', 'inaturalist', '--taxon', 'Asteraceae', '--place', '97394', '--limit', '6', '--out', out],
        stages,
      );
      expect(result.stderr).toContain('collected 6 photos');
      expect(result.code).toBe(0);

      // The query: research grade, photos, licence filter, id paging; rate-limited.
      const pages = fake.requests.filter((r) => r.path === '/v1/observations');
      expect(pages[0]!.query).toMatchObject({
        taxon_name: 'Asteraceae',
        place_id: '97394',
        quality_grade: 'research',
        photo_license: 'cc0,cc-by,cc-by-sa',
        order_by: 'id',
        order: 'asc',
        id_above: '0',
      });
      expect(pages.map((r) => r.query.id_above)).toEqual(['0', '1014']);
      // At most one request per interval, API and photos alike (the server sees them in order).
      const times = fake.requests.map((r) => r.at);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(100);
      const photoPaths = fake.requests.filter((r) => r.path.startsWith('/photos/')).map((r) => r.path);
      expect(photoPaths).toHaveLength(7); // six photos, one of them asked for twice (503, then 200)
      expect(new Set(photoPaths).size).toBe(6);
      expect(photoPaths.every((p) => p.endsWith('/medium.jpg'))).toBe(true);

      const rows = parse(await readFile(join(out, 'manifest.csv'), 'utf8'), { columns: true }) as Record<
        string,
        string
      >[];
      expect(rows).toHaveLength(6);
      expect(Object.keys(rows[0]!)).toEqual([
        'path',
        'label',
        'license',
        'source_url',
        'observer',
        'date',
        'observation',
        'attribution',
      ]);
      const third = rows.find((r) => r.path!.startsWith('Calendula officinalis/1014-'))!;
      expect(third).toMatchObject({ license: 'cc0', observer: 'Observer 2', date: '2025-06-03' });
      expect(third.source_url).toMatch(/\/photos\/10142\/medium\.jpg$/);
      expect(rows.find((r) => r.path!.startsWith('Cirsium vulgare/1021-'))!.observer).toBe('observer3');
      expect(new Set(rows.map((r) => r.license))).toEqual(new Set(['cc-by', 'cc-by-sa', 'cc0']));

      // The dataset stage reads it: labels from the folders, licences onto every record.
      const prepared = await prepareDataset({
        data: configSchema.parse({
          data: { sources: [{ root: out, manifest: join(out, 'manifest.csv') }], minPerClass: 1 },
          model: { weights: 'unused/model.json' },
        }).data,
        seed: 1,
        configDir: out,
        log: createLogger({ level: 'error' }),
        progress: silentProgress,
      });
      expect(prepared.records.map((r) => [r.path, r.license])).toEqual(rows.map((r) => [r.path, r.license]));
      expect(new Set(prepared.records.map((r) => r.label))).toEqual(
        new Set(['Calendula officinalis', 'Cirsium vulgare']),
      );
      // …and on into the model card's licence section, which export renders from these records.
      const counts = (l: string) => rows.filter((r) => r.license === l).length;
      expect(summariseDataset(prepared.records).licences).toEqual(
        ['cc-by', 'cc-by-sa', 'cc0']
          .map((license) => ({ license, images: counts(license) }))
          .sort((a, b) => b.images - a.images),
      );
    } finally {
      await fake.close();
    }
  });

  it('offline: a clear error, exit 1, and nothing in --out', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'plantid-collect-')), 'plants');
    process.env.PLANTID_INATURALIST_API = 'http://127.0.0.1:9/v1'; // discard port: nothing listens
    process.env.PLANTID_COLLECT_INTERVAL_MS = '10';
    const result = await runInProcess(
      ['collect', 'inaturalist', '--taxon', '53589', '--limit', '5', '--out', out],
      stages,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot download iNaturalist observations .*collect needs the internet/);
    expect(await readdir(join(out, '..'))).toEqual([]);
  });
});
