import { cp, mkdir, open, readdir, readFile, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { listFilesRecursive, sha256, UsageError, writeJsonAtomic } from '@plantid/core';
import { decodeMetricValue, type RunStatus, type StoredMetric, type TrackingEvent } from './events.js';

/**
 * The local run store: `<dir>/runs/<runId>/` holding `run.json` (identity), `events.jsonl`
 * (append-only log of params, metrics, tags, artefacts, registrations, status), `artifacts/`
 * (copies of everything logged, so a later sync never depends on files that moved) and
 * `sync/<destination>.json` (how far each MLflow server has been brought up to date).
 */
export interface RunInfo {
  format: 'plantid-run';
  version: 1;
  runId: string;
  runName: string;
  experiment: string;
  startTime: number;
}

export interface RunRecord {
  info: RunInfo;
  status: RunStatus;
  endTime: number | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Every logged point per key, in logging order. */
  metrics: Record<string, StoredMetric[]>;
  /** Last logged value per key (the figure `runs show` and `runs compare` print). */
  latest: Record<string, number>;
  /** Artefact files, relative to the run's `artifacts/` folder. */
  artifacts: string[];
  models: { name: string; artifactPath: string; bundleHash: string; alias?: string }[];
  events: number;
  dir: string;
}

export interface SyncState {
  uri: string;
  experimentId: string;
  remoteRunId: string;
  artifactUri: string;
  /** Number of events already applied on the server. */
  cursor: number;
  updated: number;
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export class LocalStore {
  constructor(readonly dir: string) {}

  runDir(runId: string): string {
    if (!RUN_ID.test(runId)) {
      throw new UsageError(`run id "${runId}" is not a safe folder name`, {
        where: 'tracking',
        hint: 'use letters, digits, dot, dash, underscore',
      });
    }
    return join(this.dir, 'runs', runId);
  }

  /** Creates the run, or reopens it (a resumed pipeline run keeps appending to the same log). */
  async openRun(init: { runId: string; runName: string; experiment: string }): Promise<LocalRun> {
    const dir = this.runDir(init.runId);
    await mkdir(join(dir, 'artifacts'), { recursive: true });
    const infoPath = join(dir, 'run.json');
    let info: RunInfo;
    try {
      info = JSON.parse(await readFile(infoPath, 'utf8')) as RunInfo;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      info = { format: 'plantid-run', version: 1, ...init, startTime: Date.now() };
      await writeJsonAtomic(join(this.dir, 'store.json'), { format: 'plantid-mlruns', version: 1 });
      await writeJsonAtomic(infoPath, info);
    }
    await dropTornLastLine(join(dir, 'events.jsonl'));
    return new LocalRun(this, info, dir);
  }

  async hasRun(runId: string): Promise<boolean> {
    return stat(join(this.runDir(runId), 'run.json')).then(
      () => true,
      () => false,
    );
  }

  async listRunIds(): Promise<string[]> {
    const entries = await readdir(join(this.dir, 'runs'), { withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isDirectory() && RUN_ID.test(e.name))
      .map((e) => e.name)
      .sort();
  }

  /** Every run, newest first. */
  async listRuns(): Promise<RunRecord[]> {
    const runs: RunRecord[] = [];
    for (const id of await this.listRunIds()) {
      if (await this.hasRun(id)) runs.push(await this.readRun(id));
    }
    return runs.sort((a, b) => b.info.startTime - a.info.startTime || (a.info.runId < b.info.runId ? 1 : -1));
  }

  async readEvents(runId: string): Promise<TrackingEvent[]> {
    const text = await readFile(join(this.runDir(runId), 'events.jsonl'), 'utf8').catch((error) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw error;
    });
    const events: TrackingEvent[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        events.push(JSON.parse(line) as TrackingEvent);
      } catch {
        // Only a torn last line (killed mid-write) can fail to parse; it was never acknowledged.
      }
    }
    return events;
  }

  async readRun(runId: string): Promise<RunRecord> {
    const dir = this.runDir(runId);
    let info: RunInfo;
    try {
      info = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as RunInfo;
    } catch {
      throw new UsageError(`no run "${runId}" in ${this.dir}`, {
        where: 'tracking',
        hint: 'see `pipeline runs list`',
      });
    }
    const record: RunRecord = {
      info,
      status: 'RUNNING',
      endTime: null,
      params: {},
      tags: {},
      metrics: {},
      latest: {},
      artifacts: [],
      models: [],
      events: 0,
      dir,
    };
    const artifacts = new Set<string>();
    for (const event of await this.readEvents(runId)) {
      record.events++;
      switch (event.type) {
        case 'params':
          for (const [k, v] of Object.entries(event.params)) record.params[k] ??= v;
          break;
        case 'tags':
          Object.assign(record.tags, event.tags);
          break;
        case 'metrics':
          for (const m of event.metrics) {
            record.metrics[m.key] ??= [];
            record.metrics[m.key]!.push(m);
            record.latest[m.key] = decodeMetricValue(m.value);
          }
          break;
        case 'artifact':
          for (const f of event.files) artifacts.add(f);
          break;
        case 'model':
          record.models.push({
            name: event.name,
            artifactPath: event.artifactPath,
            bundleHash: event.bundleHash,
            ...(event.alias ? { alias: event.alias } : {}),
          });
          break;
        case 'status':
          record.status = event.status;
          record.endTime = event.status === 'RUNNING' ? null : event.time;
          break;
      }
    }
    record.artifacts = [...artifacts].sort();
    return record;
  }

  private syncPath(runId: string, uri: string): string {
    return join(this.runDir(runId), 'sync', `${sha256(uri).slice(0, 16)}.json`);
  }

  async readSyncState(runId: string, uri: string): Promise<SyncState | null> {
    try {
      const state = JSON.parse(await readFile(this.syncPath(runId, uri), 'utf8')) as SyncState;
      return state.uri === uri ? state : null;
    } catch {
      return null;
    }
  }

  async writeSyncState(runId: string, state: SyncState): Promise<void> {
    await writeJsonAtomic(this.syncPath(runId, state.uri), state);
  }
}

/** An open run: appends events in order (one writer per run) and copies artefacts in. */
export class LocalRun {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly store: LocalStore,
    readonly info: RunInfo,
    readonly dir: string,
  ) {}

  get runId(): string {
    return this.info.runId;
  }

  /** Appends one event; resolves when it is on disk. Calls are applied in call order. */
  append(event: TrackingEvent): Promise<void> {
    const line = `${JSON.stringify(event)}\n`;
    const next = this.queue.then(async () => {
      const handle = await open(join(this.dir, 'events.jsonl'), 'a');
      try {
        await handle.writeFile(line);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    });
    this.queue = next.catch(() => {});
    return next;
  }

  /**
   * Copies a file or folder to `artifacts/<artifactPath>` and returns the copied files
   * (relative to `artifacts/`).
   */
  async copyArtifact(localPath: string, artifactPath: string): Promise<string[]> {
    const target = join(this.dir, 'artifacts', artifactPath);
    const info = await stat(localPath).catch(() => {
      throw new UsageError(`cannot log artefact ${localPath}: no such file or folder`, { where: 'tracking' });
    });
    await cp(localPath, target, { recursive: true, force: true });
    if (!info.isDirectory()) return [artifactPath];
    return (await listFilesRecursive(target)).map((f) => `${artifactPath}/${f}`);
  }
}

/** Drops a last line without its newline (a write cut by a kill) so new events start on a fresh line. */
async function dropTornLastLine(path: string): Promise<void> {
  let text: Buffer;
  try {
    text = await readFile(path);
  } catch {
    return;
  }
  if (text.length === 0 || text[text.length - 1] === 0x0a) return;
  await truncate(path, text.lastIndexOf(0x0a) + 1);
}

/** A safe artefact path: relative, `/`-separated, no `..` (MLflow refuses the rest too). */
export function normaliseArtifactPath(path: string, fallback: string): string {
  const parts = (path || fallback)
    .replaceAll('\\', '/')
    .split('/')
    .filter((p) => p && p !== '.');
  if (parts.length === 0 || parts.some((p) => p === '..')) {
    throw new UsageError(`artefact path "${path}" must be relative and stay inside the run`, {
      where: 'tracking',
    });
  }
  return parts.join('/');
}
