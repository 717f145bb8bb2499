/**
 * What stages log to experiment tracking. `@plantid/tracking` implements it (local store,
 * MLflow); core only defines it so stages can log without importing tracking.
 */
export type ParamValue = string | number | boolean;

export interface Tracker {
  logParams(params: Record<string, ParamValue>): Promise<void>;
  /** `step` is the epoch for per-epoch curves; omit for final figures. */
  logMetrics(metrics: Record<string, number>, step?: number): Promise<void>;
  setTags(tags: Record<string, string>): Promise<void>;
  /** Uploads a file or a whole folder under `artifactPath` (default: its base name). */
  logArtifact(localPath: string, artifactPath?: string): Promise<void>;
  /** Registers an exported bundle as a model version; `alias` e.g. "candidate". */
  registerModel(
    name: string,
    bundleDir: string,
    options?: { alias?: string; tags?: Record<string, string> },
  ): Promise<void>;
}

/** A tracker that records nothing; for library use outside a pipeline run. */
export const noopTracker: Tracker = {
  logParams: async () => {},
  logMetrics: async () => {},
  setTags: async () => {},
  logArtifact: async () => {},
  registerModel: async () => {},
};
