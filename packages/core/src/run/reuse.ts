import { copyFile, link, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashDirectory } from '../hash.js';
import { isRunId, stageMetaFile } from './layout.js';

/** `_stage.json` in every finished stage folder. */
export interface StageMeta {
  stage: string;
  version: string;
  key: string;
  /** hashDirectory of the folder, without `_stage.json`. */
  outputHash: string;
  runId: string;
  started: string;
  finished: string;
  durationMs: number;
  summary?: Record<string, string | number | boolean | null>;
  /** Set when this folder was linked from an earlier run's output. */
  reusedFrom?: string;
}

export async function readStageMeta(stageDir: string): Promise<StageMeta | undefined> {
  try {
    return JSON.parse(await readFile(join(stageDir, stageMetaFile), 'utf8')) as StageMeta;
  } catch {
    return undefined;
  }
}

export function hashStageOutput(stageDir: string): Promise<string> {
  return hashDirectory(stageDir, { ignore: (f) => f === stageMetaFile });
}

/** Run ids under `runsDir`, newest first. */
export async function listRunIds(runsDir: string): Promise<string[]> {
  const names = await readdir(runsDir).catch(() => [] as string[]);
  return names.filter(isRunId).sort().reverse();
}

export interface FinishedOutput {
  dir: string;
  meta: StageMeta;
}

/**
 * The newest finished output of `stage` with cache key `key` under `runsDir` (checking
 * `preferRun` first), whose files still hash to what was recorded. Edited outputs don't count.
 */
export async function findFinishedOutput(
  runsDir: string,
  stage: string,
  key: string,
  preferRun?: string,
): Promise<FinishedOutput | undefined> {
  const ids = await listRunIds(runsDir);
  const order = preferRun ? [preferRun, ...ids.filter((id) => id !== preferRun)] : ids;
  for (const id of order) {
    const dir = join(runsDir, id, stage);
    const meta = await readStageMeta(dir);
    if (!meta || meta.key !== key) continue;
    if ((await hashStageOutput(dir)) === meta.outputHash) return { dir, meta };
  }
  return undefined;
}

/** Recreates `from` at `to` with hard links (no extra disk), copying where links aren't possible. */
export async function linkTree(
  from: string,
  to: string,
  skip: (name: string) => boolean = () => false,
): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (skip(entry.name)) continue;
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) await linkTree(source, target);
    else if (entry.isFile()) await link(source, target).catch(() => copyFile(source, target));
  }
}
