import type { PlantidConfig } from './config/schema.js';
import type { StageReadContext } from './contracts/dataset-output.js';
import type { Logger } from './logger.js';
import type { ProgressFactory } from './progress.js';
import type { Tracker } from './tracker.js';

/**
 * What a stage gets when it runs. A stage writes only into `outDir` (a temp dir the
 * runner renames into `runs/<run-id>/<stage>/` on success) and, for state that must
 * survive a kill (checkpoints, caches), into `workDir`.
 */
/** Parses an upstream stage's output folder (the contracts' readers: readDatasetOutput, readTrainOutput, …). */
export type InputReader<T> = (dir: string, context: StageReadContext) => Promise<T>;

/** A stage's parsed inputs by upstream stage name; a stage that declares no readers gets the folders. */
export type StageInputs = Record<string, unknown>;

export interface StageContext<I = Record<string, string>> {
  config: PlantidConfig;
  /** Folder holding config.yaml; relative paths in the config resolve against it. */
  configDir: string;
  runId: string;
  runDir: string;
  /** Temp output dir; renamed into place when `run` resolves. */
  outDir: string;
  /** Persistent scratch keyed by the stage's cache key (`runs/.work/<stage>-<key>/`): survives kills, reused on resume. */
  workDir: string;
  /** Shared cache folder for content-addressed data that outlives runs (e.g. embeddings): `runs/.cache/`. */
  cacheDir: string;
  /** The upstream stages' outputs, parsed by the stage's `readers` (their folders when it declares none). */
  inputs: I;
  /** Finished output dirs of the stages this one `needs`, by stage name. */
  inputDirs: Record<string, string>;
  log: Logger;
  progress: ProgressFactory;
  /** Experiment tracking for this run (params, per-epoch metrics, artefacts). */
  tracker: Tracker;
  signal: AbortSignal;
}

/** A few headline figures a stage reports for the run summary table (e.g. `{ images: 4971, top1: 0.99 }`). */
export type StageSummary = Record<string, string | number | boolean | null>;

// biome-ignore lint/suspicious/noExplicitAny: a registry holds stages of every input type.
export interface StageDefinition<I = any> {
  name: string;
  /** One line for `pipeline stages`. */
  description: string;
  /** Bump to invalidate cached outputs by hand; code changes already do (see `code`). */
  version: string;
  /**
   * `import.meta.url` of the module defining the stage: its cache key includes a hash of the code
   * of its package and every @plantid package it depends on (see `codeHash`), so a change to what
   * it runs reruns it without a version bump.
   */
  code?: string;
  /** Upstream stages whose outputs this one reads. */
  needs: readonly string[];
  /**
   * How each upstream output is read into `ctx.inputs`, with the contracts' readers. The runner
   * reads them before the stage starts: a file that breaks its contract fails the stage with exit 2,
   * one line naming the file and field, and nothing is written.
   */
  readers?: { [K in keyof I]: InputReader<I[K]> };
  /** Top-level config keys that feed the cache key (e.g. ['seed', 'data']). */
  configKeys: readonly (keyof PlantidConfig)[];
  /** Main files it writes, for `pipeline stages`. */
  outputs: readonly string[];
  /**
   * What the stage reads from outside the run (photos, backbone weights), folded into its cache
   * key so changed inputs rerun it: return something small and JSON-serialisable, e.g. a hash of
   * file paths, sizes and mtimes. Called on every run, so keep it cheap (no full-content hashing
   * of thousands of images). Without it, only config, upstream outputs and `version` count.
   */
  fingerprint?(config: PlantidConfig, configDir: string): Promise<unknown>;
  /** Cheap checks before any stage runs (paths exist, sizes agree): throw UsageError (exit 2). */
  validate?(config: PlantidConfig, configDir: string): Promise<void>;
  // biome-ignore lint/suspicious/noConfusingVoidType: stages that report no figures just return.
  run(ctx: StageContext<I>): Promise<StageSummary | void>;
}

export function defineStage<I = Record<string, string>>(definition: StageDefinition<I>): StageDefinition<I> {
  for (const name of Object.keys(definition.readers ?? {})) {
    if (!definition.needs.includes(name))
      throw new Error(`stage "${definition.name}" reads "${name}" but does not list it in needs`);
  }
  return definition;
}

/** Reads a stage's inputs from the upstream output folders with its readers (folders pass through without; absent ones stay absent). */
export async function readStageInputs<I>(
  definition: StageDefinition<I>,
  dirs: Record<string, string>,
  context: StageReadContext,
): Promise<I> {
  const readers = (definition.readers ?? {}) as Record<string, InputReader<unknown> | undefined>;
  const inputs: Record<string, unknown> = {};
  for (const need of definition.needs) {
    const dir = dirs[need];
    // The runner gives every need a folder; library callers may leave an optional one out.
    if (dir === undefined) continue;
    const reader = readers[need];
    inputs[need] = reader ? await reader(dir, context) : dir;
  }
  return inputs as I;
}
