import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/** Where things live under a runs dir (DESIGN.md run layout). */
export interface RunLayout {
  runsDir: string;
  runDir: string;
  /** `run.json`: id, status, config hash, git commit, environment, stage results. */
  runFile: string;
  /** Resolved config (defaults, interpolation, overrides applied) as YAML. */
  configSnapshot: string;
  /** Persistent per-stage scratch that survives kills: `runs/.work/<stage>-<key>/`. */
  workDir(stage: string, key: string): string;
  /** Content-addressed caches that outlive runs: `runs/.cache/`. */
  cacheDir: string;
  stageDir(stage: string): string;
}

export const stageMetaFile = '_stage.json';

/** Sortable, readable, unique: `20251125-102103-a1b2`. */
export function createRunId(date = new Date()): string {
  const iso = date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${iso}-${randomBytes(2).toString('hex')}`;
}

export function isRunId(name: string): boolean {
  return /^\d{8}-\d{6}-[0-9a-f]{4}$/.test(name);
}

export function runLayout(runsDir: string, runId: string): RunLayout {
  const runDir = join(runsDir, runId);
  return {
    runsDir,
    runDir,
    runFile: join(runDir, 'run.json'),
    configSnapshot: join(runDir, 'config.yaml'),
    workDir: (stage, key) => join(runsDir, '.work', `${stage}-${key.slice(0, 16)}`),
    cacheDir: join(runsDir, '.cache'),
    stageDir: (stage) => join(runDir, stage),
  };
}
