/**
 * A run in the local store is an append-only log of these events (`events.jsonl`).
 * The log is the source of truth: `readRun` folds it into a summary, and sync replays
 * it to MLflow from a per-destination cursor.
 */
export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';

/** Metric value as stored: finite numbers, or proto3-JSON strings for the rest (what MLflow accepts). */
export type StoredMetricValue = number | 'NaN' | 'Infinity' | '-Infinity';

export interface StoredMetric {
  key: string;
  value: StoredMetricValue;
  step: number;
  /** Milliseconds since the epoch; with key, step and value it identifies the point (MLflow dedups on it). */
  timestamp: number;
}

export type TrackingEvent =
  | { type: 'params'; params: Record<string, string> }
  | { type: 'metrics'; metrics: StoredMetric[] }
  | { type: 'tags'; tags: Record<string, string> }
  /** `files` are paths relative to the run's `artifacts/` folder, each copied there at log time. */
  | { type: 'artifact'; artifactPath: string; files: string[] }
  | {
      type: 'model';
      name: string;
      /** Where the bundle was copied, relative to the run's `artifacts/` folder. */
      artifactPath: string;
      /** Content hash of the bundle: a second registration of the same bundle is the same version. */
      bundleHash: string;
      alias?: string;
      tags: Record<string, string>;
    }
  | { type: 'status'; status: RunStatus; time: number };

export function encodeMetricValue(value: number): StoredMetricValue {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

export function decodeMetricValue(value: StoredMetricValue): number {
  return typeof value === 'number' ? value : Number(value);
}
