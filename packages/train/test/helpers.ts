import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  configSchema,
  createLogger,
  type Logger,
  noopTracker,
  type PlantidConfig,
  type PlantidConfigInput,
  readStageInputs,
  type StageContext,
  silentProgress,
  type Tracker,
} from '@plantid/core';
import { LEAF40, MOBILENET_JSON } from '../../../test/support/shared.js';
import { type TrainInputs, trainStage } from '../src/index.js';

export const repoRoot = resolve(import.meta.dirname, '../../..');
export const datasetRoot = LEAF40;
export const backboneJson = MOBILENET_JSON;

/** FNV-style deterministic shuffle so a subset is the same on every machine. */
function stableOrder<T>(items: T[], key: (t: T) => string): T[] {
  return [...items].sort((a, b) =>
    createHash('sha1').update(key(a)).digest('hex') < createHash('sha1').update(key(b)).digest('hex')
      ? -1
      : 1,
  );
}

export interface SubsetOptions {
  classes: number;
  perClass: number;
  /** Fraction of each class's images for val (rest train, none test). */
  val?: number;
  /** Fraction of each class's images for test (kept out of training). */
  test?: number;
}

/**
 * Writes a dataset stage output (manifest.jsonl, labels.json, class_weights.json) for a subset of
 * ph-medicinal-leaf40, as the dataset stage would: ids are sha256 of the bytes, labels sorted by name.
 */
export async function writeDatasetOutput(
  dir: string,
  options: SubsetOptions,
): Promise<{ dir: string; records: Record<string, unknown>[] }> {
  await mkdir(dir, { recursive: true });
  const classDirs = (await readdir(datasetRoot, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .slice(0, options.classes);
  const labels = classDirs
    .map((name) => ({
      name,
      id: name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, ''),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((l, index) => ({ index, ...l }));
  const records: Record<string, unknown>[] = [];
  const counts: Record<string, number> = {};
  for (const label of labels) {
    const files = stableOrder(
      (await readdir(join(datasetRoot, label.name))).filter((f) => f.endsWith('.webp')),
      (f) => f,
    );
    const chosen = files.slice(0, options.perClass);
    const nVal = Math.max(1, Math.round(chosen.length * (options.val ?? 0.2)));
    const nTest = Math.round(chosen.length * (options.test ?? 0));
    for (const [i, file] of chosen.entries()) {
      const path = `${label.name}/${file}`;
      const bytes = await readFile(join(datasetRoot, path));
      const split = i < nTest ? 'test' : i < nTest + nVal ? 'val' : 'train';
      if (split === 'train') counts[label.id] = (counts[label.id] ?? 0) + 1;
      records.push({
        id: createHash('sha256').update(bytes).digest('hex'),
        path,
        label: label.name,
        labelId: label.id,
        split,
        bytes: bytes.byteLength,
        flags: [],
      });
    }
  }
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const weights = Object.fromEntries(
    labels.map((l) => [l.id, total / (labels.length * (counts[l.id] ?? 1))]),
  );
  await writeFile(join(dir, 'manifest.jsonl'), `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
  await writeFile(join(dir, 'labels.json'), JSON.stringify(labels, null, 2));
  await writeFile(join(dir, 'class_weights.json'), JSON.stringify(weights, null, 2));
  return { dir, records };
}

export function makeConfig(overrides: Partial<PlantidConfigInput> = {}): PlantidConfig {
  return configSchema.parse({
    data: { root: datasetRoot },
    model: { weights: backboneJson, backbone: 'mobilenet_v2_0.35' },
    ...overrides,
  });
}

/** A StageContext over temp folders (or the given ones), like the runner builds. */
export async function makeContext(
  config: PlantidConfig,
  dirs: {
    base?: string;
    datasetDir: string;
    cacheDir?: string;
    workDir?: string;
    log?: Logger;
    tracker?: Tracker;
  },
): Promise<StageContext<TrainInputs>> {
  const base = dirs.base ?? (await mkdtemp(join(tmpdir(), 'plantid-train-')));
  const inputDirs = { dataset: dirs.datasetDir };
  return {
    config,
    configDir: base,
    runId: 'test',
    runDir: base,
    outDir: join(base, 'out'),
    workDir: dirs.workDir ?? join(base, 'work'),
    cacheDir: dirs.cacheDir ?? join(base, 'cache'),
    inputs: await readStageInputs(trainStage, inputDirs, { config, configDir: base }),
    inputDirs,
    log: dirs.log ?? createLogger({ level: 'warn' }),
    progress: silentProgress,
    tracker: dirs.tracker ?? noopTracker,
    signal: new AbortController().signal,
  };
}
