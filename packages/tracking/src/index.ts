export { compareRuns, formatComparison, type RunComparison } from './compare.js';
export {
  createTracker,
  fileUriToDir,
  isMlflowUri,
  localStoreDir,
  type SyncStoreOptions,
  syncStore,
  type TrackerContext,
  type TrackingConfig,
} from './create-tracker.js';
export type { RunStatus, StoredMetric, TrackingEvent } from './events.js';
export { LocalStore, type RunInfo, type RunRecord, type SyncState } from './local-store.js';
export { MlflowClient, type MlflowClientOptions, MlflowError, proxiedArtifactRoot } from './mlflow-client.js';
export type { FinishResult, RunTracker } from './run-tracker.js';
export { BATCH_LIMITS, packBatches, type RunSyncResult, syncRun } from './sync.js';
