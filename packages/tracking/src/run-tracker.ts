import type { Logger, ParamValue, Tracker } from '@plantid/core';
import type { RunStatus } from './events.js';
import type { LocalStore } from './local-store.js';
import type { MlflowClient } from './mlflow-client.js';
import type { StoreTracker } from './store-tracker.js';
import { isTransient, type RunSyncResult, syncRun } from './sync.js';

export interface FinishResult {
  status: RunStatus;
  /** Where the run's log lives on disk. */
  localDir: string;
  /** For an MLflow uri: the end-of-run sync, or why it could not happen (then `runs sync` replays later). */
  sync?: { ok: true; result: RunSyncResult } | { ok: false; error: string; pendingEvents: number };
}

/** The tracker a pipeline run gets: the core `Tracker`, plus the end of the run. */
export interface RunTracker extends Tracker {
  readonly runId: string;
  readonly uri: string;
  readonly store: LocalStore;
  /** For an MLflow uri: waits until what is logged so far has been pushed (or the push failed). */
  flush(): Promise<void>;
  /** Records the run's end and, for an MLflow uri, pushes everything still pending. Never throws for the server. */
  finish(status?: RunStatus): Promise<FinishResult>;
}

/** Local store only (`file:` uri). */
export class LocalRunTracker implements RunTracker {
  constructor(
    private readonly inner: StoreTracker,
    readonly uri: string,
  ) {}
  get runId() {
    return this.inner.run.runId;
  }
  get store() {
    return this.inner.run.store;
  }
  logParams(p: Record<string, ParamValue>) {
    return this.inner.logParams(p);
  }
  logMetrics(m: Record<string, number>, step?: number) {
    return this.inner.logMetrics(m, step);
  }
  setTags(t: Record<string, string>) {
    return this.inner.setTags(t);
  }
  logArtifact(path: string, artifactPath?: string) {
    return this.inner.logArtifact(path, artifactPath);
  }
  registerModel(name: string, dir: string, options?: { alias?: string; tags?: Record<string, string> }) {
    return this.inner.registerModel(name, dir, options);
  }
  async flush(): Promise<void> {}
  async finish(status: RunStatus = 'FINISHED'): Promise<FinishResult> {
    await this.inner.setStatus(status);
    return { status, localDir: this.inner.run.dir };
  }
}

/**
 * MLflow: every call lands in the local store first (so nothing is lost), then a background push
 * replays pending events to the server. While the server is unreachable, pushes back off and the
 * run carries on; `finish` makes a last attempt and says how to replay the rest.
 */
export class MlflowRunTracker implements RunTracker {
  private inFlight: Promise<void> | null = null;
  private again = false;
  private offlineUntil = 0;
  private warned = false;
  private lastError = '';
  private inner!: StoreTracker;

  constructor(
    readonly store: LocalStore,
    private readonly client: MlflowClient,
    /** A client without retries for background pushes, so a dead server costs one attempt per push. */
    private readonly quickClient: MlflowClient,
    private readonly experiment: string,
    private readonly log: Logger,
    private readonly offlineRetryMs = 10_000,
  ) {}

  attach(inner: StoreTracker): this {
    this.inner = inner;
    return this;
  }

  get uri() {
    return this.client.base;
  }
  get runId() {
    return this.inner.run.runId;
  }

  logParams(p: Record<string, ParamValue>) {
    return this.inner.logParams(p);
  }
  logMetrics(m: Record<string, number>, step?: number) {
    return this.inner.logMetrics(m, step);
  }
  setTags(t: Record<string, string>) {
    return this.inner.setTags(t);
  }
  logArtifact(path: string, artifactPath?: string) {
    return this.inner.logArtifact(path, artifactPath);
  }
  registerModel(name: string, dir: string, options?: { alias?: string; tags?: Record<string, string> }) {
    return this.inner.registerModel(name, dir, options);
  }

  /** Called after every append: starts a push unless one is running or the server is backing off. */
  kick(): void {
    if (Date.now() < this.offlineUntil) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = this.push(this.quickClient).finally(() => {
      this.inFlight = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async push(client: MlflowClient): Promise<void> {
    try {
      await syncRun(this.store, this.runId, client, { experiment: this.experiment, log: this.log });
      if (this.warned) this.log.info(`tracking: MLflow at ${this.uri} is reachable again; caught up`);
      this.warned = false;
      this.offlineUntil = 0;
    } catch (error) {
      this.lastError = (error as Error).message;
      this.offlineUntil = Date.now() + this.offlineRetryMs;
      if (!this.warned) {
        this.warned = true;
        const what = isTransient(error) ? 'unreachable' : 'refused a request';
        this.log.warn(
          `tracking: MLflow at ${this.uri} ${what} (${this.lastError}); logging continues locally in ${this.inner.run.dir}`,
        );
      }
    }
  }

  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    this.kick();
    while (this.inFlight) await this.inFlight;
  }

  async finish(status: RunStatus = 'FINISHED'): Promise<FinishResult> {
    this.offlineUntil = Number.POSITIVE_INFINITY; // no more background pushes
    await this.inner.setStatus(status);
    while (this.inFlight) await this.inFlight;
    const localDir = this.inner.run.dir;
    try {
      const result = await syncRun(this.store, this.runId, this.client, {
        experiment: this.experiment,
        log: this.log,
      });
      return { status, localDir, sync: { ok: true, result } };
    } catch (error) {
      const total = (await this.store.readEvents(this.runId)).length;
      const done = (await this.store.readSyncState(this.runId, this.uri))?.cursor ?? 0;
      const message = (error as Error).message;
      const when = isTransient(error) ? 'when the server is back' : 'once the cause above is fixed';
      this.log.warn(
        `tracking: ${total - done} events of run ${this.runId} not yet on ${this.uri} (${message}); they are kept in ${localDir}: run \`pipeline runs sync --to ${this.uri}\` ${when}`,
      );
      return { status, localDir, sync: { ok: false, error: message, pendingEvents: total - done } };
    }
  }
}
