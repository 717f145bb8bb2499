import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ManifestRecord, readManifest } from '@plantid/core';
import { slugIds } from '@plantid/dataset';
import { FeedbackStore } from '@plantid/serve-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEAF40 } from '../../../test/support/shared.js';
import { stageRegistry } from '../src/stages.js';
import { runInProcess } from './in-process.js';

// The retrain loop: photos users corrected through the API's feedback store join the next run's
// dataset under the species they chose. Real photos from ../shared, the real FeedbackStore and CLI.
const shared = LEAF40;
let dir: string;
let classes: [string, string];
let ids: Map<string, string>;
let photos: Record<string, string[]>;
/** Where each of the user's photos sat before any feedback: path → split. */
let firstSplits: Map<string, string | null>;
const store = () => new FeedbackStore(join(dir, 'feedback'));

async function pipeline() {
  const run = await runInProcess(
    ['run', '--config', join(dir, 'config.yaml'), '--stages', 'dataset'],
    stageRegistry,
  );
  const stdout = run.stdout + run.stderr;
  return { code: run.code, stdout, runId: stdout.match(/^run (\S+):/m)?.[1] };
}

async function manifestOf(runId: string): Promise<ManifestRecord[]> {
  return readManifest(join(dir, 'runs', runId, 'dataset', 'manifest.jsonl'));
}

/** What the API remembers of a prediction on `photo` (the real store only needs these fields). */
async function prediction(photo: string, top1: string) {
  const bytes = await readFile(join(shared, photo));
  return {
    id: createHash('sha256').update(photo).digest('hex').slice(0, 16),
    time: new Date().toISOString(),
    model: { name: 'leaf40', version: '1' },
    labelIds: new Set(ids.values()),
    top1: { label: top1, confidence: 0.6 },
    inputSha256: createHash('sha256').update(bytes).digest('hex'),
    format: 'webp' as const,
    bytes,
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plantid-feedback-'));
  const folders = (await readdir(shared, { withFileTypes: true })).filter((d) => d.isDirectory());
  classes = [folders[0]!.name, folders[1]!.name];
  ids = slugIds(classes);
  photos = {};
  for (const c of classes) photos[c] = (await readdir(join(shared, c))).sort().map((f) => `${c}/${f}`);
  // The user's data: 24 photos of each of two species, listed in a CSV over ../shared in place.
  const rows = classes.flatMap((c) => photos[c]!.slice(0, 24).map((p) => `"${p}","${c}"`));
  await writeFile(join(dir, 'photos.csv'), ['path,label', ...rows].join('\n'));
  await writeFile(
    join(dir, 'config.yaml'),
    [
      'runsDir: runs',
      'data:',
      '  minPerClass: 5',
      '  sources:',
      `    - { name: leaf40, root: "${shared}", manifest: photos.csv }`,
      '    - { name: feedback, root: feedback, feedback: true }',
      'model: { weights: unused.json }',
      'tracking: { uri: "file:mlruns" }',
    ].join('\n'),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('feedback from the API joins the next dataset', () => {
  it('runs without feedback yet, saying so', async () => {
    const run = await pipeline();
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/no feedback yet/);
    expect(run.stdout).not.toMatch(/no images found/);
    const manifest = await manifestOf(run.runId!);
    expect(manifest).toHaveLength(48);
    firstSplits = new Map(manifest.map((r) => [r.path, r.split]));
  });

  it('adds consented photos under the chosen species, keeps the latest correction, leaves out the rest', async () => {
    const [a, b] = classes;
    const idA = ids.get(a)!;
    const idB = ids.get(b)!;
    const confirmed = photos[a]![30]!;
    const corrected = photos[b]![30]!;
    const private_ = photos[a]![31]!;
    const unknown = photos[a]![32]!;
    await store().add({ prediction: await prediction(confirmed, idA), label: idA, consent: true });
    await store().add({ prediction: await prediction(corrected, idA), label: idA, consent: true });
    await store().add({ prediction: await prediction(corrected, idA), label: idB, consent: true });
    await store().add({ prediction: await prediction(private_, idA), label: idA, consent: false });
    await store().add({
      prediction: await prediction(unknown, idA),
      label: 'no-such-species',
      consent: true,
    });

    const run = await pipeline();
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/dataset +ran/);
    expect(run.stdout).toMatch(/1 feedback record\(s\) without a consented photo/);
    expect(run.stdout).toMatch(/1 feedback photo\(s\) labelled "no-such-species", which is no class/);
    const fromFeedback = (await manifestOf(run.runId!)).filter((r) => r.source === 'feedback');
    expect(fromFeedback.map((r) => [r.label, r.labelId, r.feedback?.correct])).toEqual(
      expect.arrayContaining([
        [a, idA, true],
        [b, idB, false],
      ]),
    );
    expect(fromFeedback).toHaveLength(2);
    expect(fromFeedback.every((r) => r.feedback?.model.name === 'leaf40' && r.location === null)).toBe(true);
    expect(fromFeedback.every((r) => r.split !== null)).toBe(true);
  });

  it('reuses the dataset while nothing changes, and reruns it when new feedback arrives', async () => {
    const same = await pipeline();
    expect(same.stdout).toMatch(/dataset +reused/);
    const [a] = classes;
    const idA = ids.get(a)!;
    await store().add({ prediction: await prediction(photos[a]![33]!, idA), label: idA, consent: true });
    const next = await pipeline();
    expect(next.stdout).toMatch(/dataset +ran/);
    const manifest = await manifestOf(next.runId!);
    expect(manifest.filter((r) => r.source === 'feedback')).toHaveLength(3);
    // The retrain is judged on the same test photos as the model before it.
    const user = manifest.filter((r) => r.source !== 'feedback');
    expect(new Map(user.map((r) => [r.path, r.split]))).toEqual(firstSplits);
    expect(new Set(user.map((r) => r.split))).toEqual(new Set(['train', 'val', 'test']));
  });
});
