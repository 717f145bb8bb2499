import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@plantid/core';
import type { StoredMetric, TrackingEvent } from './events.js';
import type { LocalStore, SyncState } from './local-store.js';
import { type MlflowClient, MlflowError, type MlflowMetric, type MlflowTag } from './mlflow-client.js';

/** MLflow's log-batch limits (mlflow/utils/validation.py) and a margin under its 1 MB request cap. */
export const BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000, bytes: 900_000 } as const;

/** Tag on every MLflow run we create: how a later sync finds the run again instead of making a new one. */
export const RUN_ID_TAG = 'plantid.run_id';
export const BUNDLE_HASH_TAG = 'plantid.bundle_hash';

export interface RunSyncResult {
  runId: string;
  remoteRunId: string;
  experimentId: string;
  /** Events applied on the server by this call (0 when it was already up to date). */
  applied: number;
  /** True when this call created the MLflow run. */
  createdRun: boolean;
  /** Model versions created by this call (`name/version`). */
  createdVersions: string[];
}

interface Batch {
  metrics: MlflowMetric[];
  params: MlflowTag[];
  tags: MlflowTag[];
}

/**
 * Brings one local run up to date on an MLflow server, from the cursor saved for that server.
 * Replays are harmless: the run is found by its `plantid.run_id` tag, metric points carry their
 * original timestamps (MLflow drops exact duplicates), params are re-sent with the same values,
 * artefacts overwrite themselves, and model versions are matched by bundle hash.
 */
export async function syncRun(
  store: LocalStore,
  runId: string,
  client: MlflowClient,
  options: { experiment?: string; log?: Logger } = {},
): Promise<RunSyncResult> {
  const uri = client.base;
  const record = await store.readRun(runId);
  let createdRun = false;
  let state = await store.readSyncState(runId, uri);
  if (!state) {
    const experimentId = await client.ensureExperiment(options.experiment ?? record.info.experiment);
    const filter = `tags.\`${RUN_ID_TAG}\` = '${quote(runId)}'`;
    let remote = (await client.searchRuns([experimentId], filter, 1))[0];
    if (!remote) {
      remote = await client.createRun({
        experimentId,
        runName: record.info.runName,
        startTime: record.info.startTime,
        tags: [
          { key: RUN_ID_TAG, value: runId },
          { key: 'mlflow.source.name', value: 'plantid' },
        ],
      });
      createdRun = true;
    }
    state = {
      uri,
      experimentId,
      remoteRunId: remote.info.run_id,
      artifactUri: remote.info.artifact_uri,
      cursor: 0,
      updated: Date.now(),
    };
    await store.writeSyncState(runId, state);
  }

  const events = await store.readEvents(runId);
  const start = state.cursor;
  const createdVersions: string[] = [];
  let i = start;
  while (i < events.length) {
    const event = events[i]!;
    if (isData(event)) {
      let j = i;
      while (j < events.length && isData(events[j]!)) j++;
      for (const batch of packBatches(events.slice(i, j))) await client.logBatch(state.remoteRunId, batch);
      i = j;
    } else {
      const version = await applyEvent(event, store, runId, state, client);
      if (version) createdVersions.push(version);
      i++;
    }
    state = { ...state, cursor: i, updated: Date.now() };
    await store.writeSyncState(runId, state);
  }
  if (i > start) options.log?.debug(`tracking: synced ${i - start} events of run ${runId} to ${uri}`);
  return {
    runId,
    remoteRunId: state.remoteRunId,
    experimentId: state.experimentId,
    applied: i - start,
    createdRun,
    createdVersions,
  };
}

function isData(
  event: TrackingEvent,
): event is Extract<TrackingEvent, { type: 'params' | 'metrics' | 'tags' }> {
  return event.type === 'params' || event.type === 'metrics' || event.type === 'tags';
}

/** Packs consecutive params/metrics/tags events into as few log-batch calls as MLflow's limits allow. */
export function packBatches(events: TrackingEvent[]): Batch[] {
  const params = new Map<string, string>();
  const tags = new Map<string, string>();
  const metrics: StoredMetric[] = [];
  for (const event of events) {
    if (event.type === 'params')
      for (const [k, v] of Object.entries(event.params)) if (!params.has(k)) params.set(k, v);
    if (event.type === 'tags') for (const [k, v] of Object.entries(event.tags)) tags.set(k, v);
    if (event.type === 'metrics') metrics.push(...event.metrics);
  }
  const batches: Batch[] = [];
  let current: Batch = { metrics: [], params: [], tags: [] };
  let bytes = 0;
  const flushIfFull = (kind: keyof Batch, size: number) => {
    const count = current.metrics.length + current.params.length + current.tags.length;
    if (
      current[kind].length >= BATCH_LIMITS[kind] ||
      count >= BATCH_LIMITS.total ||
      (count > 0 && bytes + size > BATCH_LIMITS.bytes)
    ) {
      batches.push(current);
      current = { metrics: [], params: [], tags: [] };
      bytes = 0;
    }
    bytes += size;
  };
  for (const [key, value] of params) {
    flushIfFull('params', key.length + value.length + 32);
    current.params.push({ key, value });
  }
  for (const [key, value] of tags) {
    flushIfFull('tags', key.length + value.length + 32);
    current.tags.push({ key, value });
  }
  for (const m of metrics) {
    flushIfFull('metrics', m.key.length + 80);
    current.metrics.push({ key: m.key, value: m.value, timestamp: m.timestamp, step: m.step });
  }
  if (current.metrics.length + current.params.length + current.tags.length > 0) batches.push(current);
  return batches;
}

async function applyEvent(
  event: TrackingEvent,
  store: LocalStore,
  runId: string,
  state: SyncState,
  client: MlflowClient,
): Promise<string | undefined> {
  switch (event.type) {
    case 'artifact': {
      const root = join(store.runDir(runId), 'artifacts');
      for (const file of event.files) {
        const bytes = await readFile(join(root, file)).catch(() => null);
        // A file replaced by a later log of the same path is uploaded by that later event.
        if (bytes) await client.uploadArtifact(state.artifactUri, file, bytes);
      }
      return undefined;
    }
    case 'status':
      await client.updateRun(
        state.remoteRunId,
        event.status,
        event.status === 'RUNNING' ? undefined : event.time,
      );
      return undefined;
    case 'model':
      return registerVersion(event, state, client);
    default:
      return undefined;
  }
}

async function registerVersion(
  event: Extract<TrackingEvent, { type: 'model' }>,
  state: SyncState,
  client: MlflowClient,
): Promise<string | undefined> {
  await client.ensureRegisteredModel(event.name);
  const existing = (
    await client.searchModelVersions(
      `name = '${quote(event.name)}' and run_id = '${quote(state.remoteRunId)}'`,
    )
  ).find((v) => v.tags?.some((t) => t.key === BUNDLE_HASH_TAG && t.value === event.bundleHash));
  let version = existing?.version;
  let created: string | undefined;
  if (!version) {
    const mv = await client.createModelVersion({
      name: event.name,
      source: `${state.artifactUri.replace(/\/+$/, '')}/${event.artifactPath}`,
      runId: state.remoteRunId,
      tags: [
        ...Object.entries(event.tags).map(([key, value]) => ({ key, value })),
        { key: BUNDLE_HASH_TAG, value: event.bundleHash },
      ],
    });
    version = mv.version;
    created = `${event.name}/${version}`;
  }
  if (event.alias && !isReservedAlias(event.alias)) await client.setAlias(event.name, event.alias, version);
  return created;
}

/**
 * MLflow refuses `latest` (case-insensitive) as an alias: `models:/<name>/latest` already means the newest
 * version, which the version just created is. Versions (`v1`, `V2`) are reserved too.
 */
function isReservedAlias(alias: string): boolean {
  return /^latest$/i.test(alias) || /^v\d+$/i.test(alias);
}

function quote(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll("'", "\\'");
}

/** Whether an error means "try again later" (server down or failing) rather than "fix something". */
export function isTransient(error: unknown): boolean {
  return error instanceof MlflowError && error.transient;
}
