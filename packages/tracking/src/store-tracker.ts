import { basename, join } from 'node:path';
import { hashDirectory, type Logger, type ParamValue, type Tracker } from '@plantid/core';
import { encodeMetricValue, type RunStatus, type TrackingEvent } from './events.js';
import { type LocalRun, normaliseArtifactPath } from './local-store.js';
import { clip, MAX_PARAM_VALUE, MAX_TAG_VALUE, safeKey } from './names.js';

/**
 * A Tracker that writes every call into a local run (the write-ahead log). `onAppend` lets
 * the MLflow tracker push after each write; a failing push never fails the call.
 */
export class StoreTracker implements Tracker {
  private readonly params = new Map<string, string>();

  constructor(
    readonly run: LocalRun,
    private readonly log: Logger,
    private readonly onAppend: () => void = () => {},
  ) {}

  /** Loads params already in the log (a resumed run), so MLflow's "params never change" rule holds. */
  async init(): Promise<this> {
    const record = await this.run.store.readRun(this.run.runId);
    for (const [k, v] of Object.entries(record.params)) this.params.set(k, v);
    return this;
  }

  private async append(event: TrackingEvent): Promise<void> {
    await this.run.append(event);
    this.onAppend();
  }

  async logParams(params: Record<string, ParamValue>): Promise<void> {
    const fresh: Record<string, string> = {};
    for (const [rawKey, rawValue] of Object.entries(params)) {
      const key = safeKey(rawKey);
      const value = clip(String(rawValue), MAX_PARAM_VALUE);
      const previous = this.params.get(key);
      if (previous === value) continue;
      if (previous !== undefined) {
        this.log.warn(
          `tracking: param ${key} was already logged as ${previous}; keeping it (params never change within a run)`,
          {
            ignored: value,
          },
        );
        continue;
      }
      this.params.set(key, value);
      fresh[key] = value;
    }
    if (Object.keys(fresh).length > 0) await this.append({ type: 'params', params: fresh });
  }

  async logMetrics(metrics: Record<string, number>, step = 0): Promise<void> {
    const timestamp = Date.now();
    const points = Object.entries(metrics).map(([key, value]) => ({
      key: safeKey(key),
      value: encodeMetricValue(value),
      step: Math.trunc(step),
      timestamp,
    }));
    if (points.length > 0) await this.append({ type: 'metrics', metrics: points });
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    const clean = Object.fromEntries(
      Object.entries(tags).map(([k, v]) => [safeKey(k), clip(String(v), MAX_TAG_VALUE)]),
    );
    if (Object.keys(clean).length > 0) await this.append({ type: 'tags', tags: clean });
  }

  async logArtifact(localPath: string, artifactPath?: string): Promise<void> {
    const path = normaliseArtifactPath(artifactPath ?? '', basename(localPath));
    const files = await this.run.copyArtifact(localPath, path);
    await this.append({ type: 'artifact', artifactPath: path, files });
  }

  async registerModel(
    name: string,
    bundleDir: string,
    options: { alias?: string; tags?: Record<string, string> } = {},
  ): Promise<void> {
    const bundleHash = await hashDirectory(bundleDir);
    const artifactPath = normaliseArtifactPath(join('bundles', name, basename(bundleDir)), name);
    const files = await this.run.copyArtifact(bundleDir, artifactPath);
    await this.append({ type: 'artifact', artifactPath, files });
    await this.append({
      type: 'model',
      name,
      artifactPath,
      bundleHash,
      ...(options.alias ? { alias: options.alias } : {}),
      tags: options.tags ?? {},
    });
  }

  async setStatus(status: RunStatus): Promise<void> {
    await this.append({ type: 'status', status, time: Date.now() });
  }
}
