import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Logger, type PlantidConfig, UsageError, WorkError } from '@plantid/core';
import { LocalStore } from './local-store.js';
import { MlflowClient, MlflowError } from './mlflow-client.js';
import { LocalRunTracker, MlflowRunTracker, type RunTracker } from './run-tracker.js';
import { StoreTracker } from './store-tracker.js';
import { type RunSyncResult, syncRun } from './sync.js';

export type TrackingConfig = PlantidConfig['tracking'];

export interface TrackerContext {
  configDir: string;
  runId: string;
  runName?: string;
  log: Logger;
}

/** `file:./mlruns`, `file:mlruns`, `file:///abs/mlruns` → a folder (relative ones against the config folder). */
export function fileUriToDir(uri: string, configDir: string): string {
  const path = uri.startsWith('file://') ? fileURLToPath(uri) : uri.slice('file:'.length);
  return isAbsolute(path) ? path : resolve(configDir, path);
}

/** The folder holding local runs for this config: the store itself, or the MLflow write-ahead buffer. */
export function localStoreDir(config: TrackingConfig, configDir: string): string {
  if (config.uri.startsWith('file:')) return fileUriToDir(config.uri, configDir);
  return isAbsolute(config.localDir) ? config.localDir : resolve(configDir, config.localDir);
}

export function isMlflowUri(uri: string): boolean {
  return /^https?:\/\//.test(uri);
}

/** The tracker for one pipeline run (`config.tracking` decides local store or MLflow). */
export async function createTracker(config: TrackingConfig, context: TrackerContext): Promise<RunTracker> {
  const store = new LocalStore(localStoreDir(config, context.configDir));
  const run = await store.openRun({
    runId: context.runId,
    runName: context.runName ?? context.runId,
    experiment: config.experiment,
  });
  const log = context.log;
  if (!isMlflowUri(config.uri)) {
    const inner = await new StoreTracker(run, log).init();
    await inner.setStatus('RUNNING');
    return new LocalRunTracker(inner, config.uri);
  }
  const client = new MlflowClient({ uri: config.uri, retries: config.retries, timeoutMs: config.timeoutMs });
  const quick = new MlflowClient({
    uri: config.uri,
    retries: 0,
    timeoutMs: Math.min(config.timeoutMs, 10_000),
  });
  const tracker = new MlflowRunTracker(store, client, quick, config.experiment, log);
  const inner = await new StoreTracker(run, log, () => tracker.kick()).init();
  tracker.attach(inner);
  await inner.setStatus('RUNNING');
  return tracker;
}

export interface SyncStoreOptions {
  /** Folder of the local store (see `localStoreDir`). */
  storeDir: string;
  /** MLflow server, http(s)://host:port. */
  to: string;
  /** Only these runs (default: every run in the store). */
  runIds?: string[];
  /** Override the experiment recorded on each run. */
  experiment?: string;
  retries?: number;
  timeoutMs?: number;
  log?: Logger;
}

/** `pipeline runs sync --to <uri>`: replays every local run to an MLflow server; a second call creates nothing new. */
export async function syncStore(options: SyncStoreOptions): Promise<RunSyncResult[]> {
  if (!isMlflowUri(options.to)) {
    throw new UsageError(`cannot sync to ${options.to}`, {
      where: '--to',
      hint: 'give an MLflow server as http(s)://host:port',
    });
  }
  const store = new LocalStore(options.storeDir);
  const ids = options.runIds ?? (await store.listRunIds());
  for (const id of ids) {
    if (!(await store.hasRun(id))) {
      throw new UsageError(`no run "${id}" in ${options.storeDir}`, {
        where: '--run',
        hint: 'see `pipeline runs list`',
      });
    }
  }
  const client = new MlflowClient({
    uri: options.to,
    retries: options.retries ?? 4,
    timeoutMs: options.timeoutMs ?? 30_000,
  });
  const results: RunSyncResult[] = [];
  for (const id of ids) {
    try {
      results.push(
        await syncRun(store, id, client, {
          ...(options.experiment ? { experiment: options.experiment } : {}),
          ...(options.log ? { log: options.log } : {}),
        }),
      );
    } catch (error) {
      if (!(error instanceof MlflowError)) throw error;
      throw new WorkError(`sync of run ${id} to ${options.to} stopped: ${error.message}`, {
        where: '--to',
        hint: error.transient
          ? 'nothing is lost; run the same command again when the server is reachable'
          : 'fix the cause above, then run the same command again (it resumes where it stopped)',
        cause: error,
      });
    }
  }
  return results;
}
