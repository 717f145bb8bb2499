import type { PlantidConfig } from './config/schema.js';
import type { Logger } from './logger.js';
import type { ProgressFactory } from './progress.js';
import type { Tracker } from './tracker.js';

/**
 * What a stage gets when it runs. A stage writes only into `outDir` (a temp dir the
 * runner renames into `runs/<run-id>/<stage>/` on success) and, for state that must
 * survive a kill (checkpoints, caches), into `workDir`.
 */
export interface StageContext {
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
  /** Finished output dirs of the stages this one `needs`, by stage name. */
  inputs: Record<string, string>;
  log: Logger;
  progress: ProgressFactory;
  /** Experiment tracking for this run (params, per-epoch metrics, artefacts). */
  tracker: Tracker;
  signal: AbortSignal;
}

/** A few headline figures a stage reports for the run summary table (e.g. `{ images: 4971, top1: 0.99 }`). */
export type StageSummary = Record<string, string | number | boolean | null>;

export interface StageDefinition {
  name: string;
  /** One line for `pipeline stages`. */
  description: string;
  /** Bump when the stage's code changes what it writes: invalidates cached outputs. */
  version: string;
  /** Upstream stages whose outputs this one reads. */
  needs: readonly string[];
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
  run(ctx: StageContext): Promise<StageSummary | void>;
}

export function defineStage(definition: StageDefinition): StageDefinition {
  return definition;
}
