import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapPool, openStorage } from '@plantid/core';
import { type S3Server, startS3 } from '@plantid/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEAF40, MOBILENET_JSON } from '../../../test/support/shared.js';
import { stageRegistry as stages } from '../src/stages.js';
import { runInProcess } from './in-process.js';

// The leaf example on a small subset (4 species × 20 photos, head only, ONNX only: a minute of CPU
// rather than ten), once from a folder into a folder registry and once from an S3 prefix into an S3
// registry on a real S3 server (SeaweedFS). Both must measure the same model.
const CLASSES = 4;
const PER_CLASS = 20;

let s3: S3Server;
let dir: string;
const saved = { ...process.env };

async function leafSubset(): Promise<string[]> {
  const classes = (await readdir(LEAF40, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .slice(0, CLASSES);
  const files: string[] = [];
  for (const c of classes)
    files.push(
      ...(await readdir(join(LEAF40, c)))
        .sort()
        .slice(0, PER_CLASS)
        .map((f) => `${c}/${f}`),
    );
  return files;
}

function config(): string {
  return [
    'seed: 42',
    'data: { root: photos, license: CC BY 4.0, minPerClass: 5, nearDuplicate: { hamming: 6 } }',
    'preprocess: { size: 224, resize: center-crop, normalize: { scale: 127.5, offset: -1 } }',
    'augment: { views: 0 }',
    `model: { name: leafs3, license: Apache-2.0, backbone: mobilenet_v2_0.35, weights: ${JSON.stringify(MOBILENET_JSON)} }`,
    'train: { head: { epochs: 8, lr: 1e-3, batchSize: 32 }, finetune: { epochs: 0 } }',
    'evaluate: { topK: [1, 3], gate: { top1: 0 } }',
    'export: { formats: [onnx], quantize: [], parity: { samples: 16 }, registry: models }',
    `tracking: { uri: "file:${dir}/mlruns" }`,
    `storage: { s3: { endpoint: "${s3.endpoint}" } }`,
    '',
  ].join('\n');
}

async function run(...set: string[]) {
  const result = await runInProcess(
    ['run', '--config', join(dir, 'config.yaml'), '--log', 'json', ...set.flatMap((s) => ['--set', s])],
    stages,
  );
  const last = result.stdout.trim().split('\n').at(-1);
  return { ...result, record: last?.startsWith('{') ? JSON.parse(last) : undefined };
}

beforeAll(async () => {
  s3 = await startS3({ bucket: 'plantid' });
  dir = await mkdtemp(join(tmpdir(), 'plantid-s3-run-'));
  Object.assign(process.env, s3.env, { PLANTID_CACHE_DIR: join(dir, 'cache') });
  await writeFile(join(dir, 'config.yaml'), config());
  const files = await leafSubset();
  const bucket = openStorage('s3://plantid/leaf');
  await mapPool(
    files,
    async (f) => {
      await mkdir(join(dir, 'photos', f, '..'), { recursive: true });
      await copyFile(join(LEAF40, f), join(dir, 'photos', f));
      await bucket.upload(join(LEAF40, f), f);
    },
    { concurrency: 8 },
  );
}, 120_000);

afterAll(async () => {
  process.env = { ...saved };
  await s3?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('pipeline run with data and registry on S3', () => {
  it('gives the same metrics as the same photos on disk, and publishes the bundle to the bucket', async () => {
    const disk = await run(`runsDir=${dir}/runs-disk`);
    expect(disk.code, disk.stderr).toBe(0);
    const onS3 = await run(
      `runsDir=${dir}/runs-s3`,
      'data.root=s3://plantid/leaf',
      'export.registry=s3://plantid/models',
    );
    expect(onS3.code, onS3.stderr).toBe(0);
    expect(onS3.record.stages.map((s: { status: string }) => s.status)).toEqual(['ran', 'ran', 'ran', 'ran']);

    // Everything but the run's own id and time: test/val metrics, confusion, calibration, gate.
    const metrics = async (runDir: string) => {
      const { runId, created, ...rest } = JSON.parse(
        await readFile(join(runDir, 'evaluate', 'metrics.json'), 'utf8'),
      );
      expect([runId, typeof created]).toEqual([runDir.split('/').at(-1), 'string']);
      return rest;
    };
    const [a, b] = [await metrics(disk.record.runDir), await metrics(onS3.record.runDir)];
    expect(a.test.top1).toBeGreaterThan(0.5);
    expect(b).toEqual(a);

    // The bundle is in the bucket, whole: every file its manifest lists, the manifest last.
    const models = openStorage('s3://plantid/models');
    const published = (await models.list('leafs3/1')).map((o) => o.path.slice('leafs3/1/'.length));
    const local = (
      await readdir(join(dir, 'models', 'leafs3', '1'), { recursive: true, withFileTypes: true })
    )
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(join(dir, 'models', 'leafs3', '1').length + 1));
    expect(published.sort()).toEqual(local.sort());
    const withoutRun = ({ runId: _r, created: _c, ...rest }: Record<string, unknown>) => rest;
    expect(withoutRun(JSON.parse((await models.read('leafs3/1/metrics.json')).toString()))).toEqual(
      withoutRun(JSON.parse(await readFile(join(dir, 'models', 'leafs3', '1', 'metrics.json'), 'utf8'))),
    );

    // Unchanged photos, unchanged bucket: the next run reuses every stage and publishes nothing new.
    const again = await run(
      `runsDir=${dir}/runs-s3`,
      'data.root=s3://plantid/leaf',
      'export.registry=s3://plantid/models',
    );
    expect(again.code, again.stderr).toBe(0);
    expect(again.record.stages.map((s: { status: string }) => s.status)).toEqual([
      'reused',
      'reused',
      'reused',
      'reused',
    ]);
    expect(again.stderr).not.toMatch(/published \d+ files/);
  }, 900_000);

  it('a missing bucket, refused credentials or an empty prefix: one line naming the URI, exit 2, no run written', async () => {
    const missing = await run(`runsDir=${dir}/runs-bad`, 'data.root=s3://no-such-bucket/photos');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /^error: s3:\/\/no-such-bucket\/photos: bucket "no-such-bucket" does not exist/,
    );

    const empty = await run(`runsDir=${dir}/runs-bad`, 'data.root=s3://plantid/nothing-here');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/^error: data\.root: s3:\/\/plantid\/nothing-here holds no files/);

    process.env.AWS_SECRET_ACCESS_KEY = 'wrong-secret';
    try {
      const refused = await run(`runsDir=${dir}/runs-bad`, 'data.root=s3://plantid/leaf');
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/^error: s3:\/\/plantid\/leaf: access refused/);
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = s3.env.AWS_SECRET_ACCESS_KEY!;
    }

    const runsOnS3 = await run('runsDir=s3://plantid/runs');
    expect(runsOnS3.code).toBe(2);
    expect(runsOnS3.stderr).toMatch(/^error: runsDir: runs on S3 are not supported/);
    expect(await readdir(dir)).not.toContain('runs-bad');
  }, 120_000);
});
