import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryLogger } from '@plantid/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTracker, LocalStore, MlflowClient, syncStore } from '../src/index.js';
import { MlflowServer } from './mlflow-server.js';

// One real MLflow server for this file (start-up costs ~40 s here); the outage test stops and restarts it.
let server: MlflowServer;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'plantid-mlflow-'));
  server = await MlflowServer.start(root);
});

afterAll(async () => {
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

function api<T>(path: string, body?: unknown): Promise<T> {
  return server.api<T>(path, body);
}
type Kv = { key: string; value: string };
type Point = { key: string; value: number | string; step: number; timestamp: number };
type Run = {
  info: { run_id: string; status: string; end_time?: number; artifact_uri: string; run_name: string };
  data: { params?: Kv[]; tags?: Kv[] };
};

async function findRun(experiment: string, plantidRunId: string): Promise<Run[]> {
  const exp = await api<{ experiment: { experiment_id: string } }>(
    `experiments/get-by-name?experiment_name=${experiment}`,
  );
  const r = await api<{ runs?: Run[] }>('runs/search', {
    experiment_ids: [exp.experiment.experiment_id],
    filter: `tags.\`plantid.run_id\` = '${plantidRunId}'`,
  });
  return r.runs ?? [];
}

async function history(runId: string, key: string): Promise<Point[]> {
  const r = await api<{ metrics?: Point[] }>(
    `metrics/get-history?run_id=${runId}&metric_key=${encodeURIComponent(key)}`,
  );
  return r.metrics ?? [];
}

async function listArtifacts(runId: string, path = ''): Promise<string[]> {
  const r = await api<{ files?: { path: string; is_dir: boolean }[] }>(
    `artifacts/list?run_id=${runId}${path ? `&path=${encodeURIComponent(path)}` : ''}`,
  );
  const out: string[] = [];
  for (const f of r.files ?? []) {
    if (f.is_dir) out.push(...(await listArtifacts(runId, f.path)));
    else out.push(f.path);
  }
  return out.sort();
}

describe('MLflow tracking against a real server', () => {
  it('logs params, per-epoch metrics, tags, artefacts and a registered model, and MLflow returns them', async () => {
    const configDir = join(root, 'project-a');
    await mkdir(configDir, { recursive: true });
    const log = createMemoryLogger();
    const config = {
      uri: server.uri,
      experiment: 'plantid-roundtrip',
      localDir: 'mlruns',
      retries: 2,
      timeoutMs: 10_000,
    };
    const tracker = await createTracker(config, {
      configDir,
      runId: '20260101-120000-abc',
      runName: 'roundtrip',
      log,
    });

    const params = { lr: 0.001, epochs: 5, backbone: 'mobilenet_v2', labelSmoothing: 0.1 };
    await tracker.logParams(params);
    // More than MLflow's 100 params per call and 1000 metrics per call: must be split into several log-batch calls.
    await tracker.logParams(Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`extra.p${i}`, i])));
    for (let epoch = 0; epoch < 5; epoch++) {
      await tracker.logMetrics({ loss: 2 / (epoch + 1), val_top1: 0.5 + epoch * 0.1 }, epoch);
    }
    await tracker.logMetrics(
      Object.fromEntries(Array.from({ length: 1200 }, (_, i) => [`class.c${i}.recall`, i / 1200])),
    );
    await tracker.setTags({ 'plantid.stage': 'evaluate', dataset_hash: 'abc123' });

    const reportPath = join(configDir, 'report.html');
    await writeFile(reportPath, '<!doctype html><title>report</title>');
    await tracker.logArtifact(reportPath, 'evaluate/report.html');
    const bundle = join(configDir, 'bundle', 'plant', '1');
    await mkdir(join(bundle, 'tfjs'), { recursive: true });
    const onnxBytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));
    await writeFile(join(bundle, 'model.onnx'), onnxBytes);
    await writeFile(join(bundle, 'tfjs', 'model.json'), '{"format":"layers-model"}');
    await writeFile(join(bundle, 'labels.json'), '[{"index":0,"id":"a","name":"A"}]');
    await tracker.registerModel('plant-roundtrip', bundle, { alias: 'candidate', tags: { top1: '0.93' } });

    const finished = await tracker.finish();
    expect(finished.sync).toMatchObject({ ok: true });

    const runs = await findRun('plantid-roundtrip', '20260101-120000-abc');
    expect(runs).toHaveLength(1);
    const remote = await api<{ run: Run }>(`runs/get?run_id=${runs[0]!.info.run_id}`);
    const runId = remote.run.info.run_id;
    expect(remote.run.info.status).toBe('FINISHED');
    expect(remote.run.info.end_time).toBeGreaterThan(0);
    expect(remote.run.info.run_name).toBe('roundtrip');

    const remoteParams = Object.fromEntries((remote.run.data.params ?? []).map((p) => [p.key, p.value]));
    expect(Object.keys(remoteParams)).toHaveLength(154);
    expect(remoteParams).toMatchObject({
      lr: '0.001',
      epochs: '5',
      backbone: 'mobilenet_v2',
      labelSmoothing: '0.1',
      'extra.p149': '149',
    });
    const remoteTags = Object.fromEntries((remote.run.data.tags ?? []).map((t) => [t.key, t.value]));
    expect(remoteTags).toMatchObject({ 'plantid.stage': 'evaluate', dataset_hash: 'abc123' });

    const loss = await history(runId, 'loss');
    expect(loss.map((p) => [p.step, p.value])).toEqual([0, 1, 2, 3, 4].map((e) => [e, 2 / (e + 1)]));
    const top1 = await history(runId, 'val_top1');
    expect(top1.map((p) => p.step)).toEqual([0, 1, 2, 3, 4]);
    expect(top1[4]!.value).toBeCloseTo(0.9);
    expect(await history(runId, 'class.c1199.recall')).toHaveLength(1);

    expect(await listArtifacts(runId)).toEqual([
      'bundles/plant-roundtrip/1/labels.json',
      'bundles/plant-roundtrip/1/model.onnx',
      'bundles/plant-roundtrip/1/tfjs/model.json',
      'evaluate/report.html',
    ]);
    const root_ = remote.run.info.artifact_uri.replace(/^mlflow-artifacts:\/+/, '');
    const downloaded = await fetch(
      `${server.uri}/api/2.0/mlflow-artifacts/artifacts/${root_}/bundles/plant-roundtrip/1/model.onnx`,
    );
    expect(Buffer.from(await downloaded.arrayBuffer()).equals(onnxBytes)).toBe(true);

    const byAlias = await api<{
      model_version: { version: string; run_id: string; source: string; tags: Kv[] };
    }>('registered-models/alias?name=plant-roundtrip&alias=candidate');
    expect(byAlias.model_version.run_id).toBe(runId);
    expect(byAlias.model_version.source).toBe(`${remote.run.info.artifact_uri}/bundles/plant-roundtrip/1`);
    expect(byAlias.model_version.tags).toContainEqual({ key: 'top1', value: '0.93' });

    // A second sync (also a replay from a lost cursor) creates nothing new.
    const storeDir = join(configDir, 'mlruns');
    const again = await syncStore({ storeDir, to: server.uri });
    expect(again).toEqual([expect.objectContaining({ applied: 0, createdRun: false, createdVersions: [] })]);
    await rm(join(storeDir, 'runs', '20260101-120000-abc', 'sync'), { recursive: true });
    const replay = await syncStore({ storeDir, to: server.uri });
    expect(replay[0]).toMatchObject({ remoteRunId: runId, createdRun: false, createdVersions: [] });
    expect(replay[0]!.applied).toBeGreaterThan(0);
    expect(await findRun('plantid-roundtrip', '20260101-120000-abc')).toHaveLength(1);
    expect((await history(runId, 'loss')).length).toBe(5);
    const versions = await api<{ model_versions?: unknown[] }>(
      `model-versions/search?filter=${encodeURIComponent("name='plant-roundtrip'")}`,
    );
    expect(versions.model_versions).toHaveLength(1);
  });

  it('loses no metric when the server goes down mid-run: sync after restart delivers each exactly once', async () => {
    const configDir = join(root, 'project-b');
    await mkdir(configDir, { recursive: true });
    const log = createMemoryLogger();
    const config = {
      uri: server.uri,
      experiment: 'plantid-outage',
      localDir: 'buffer',
      retries: 1,
      timeoutMs: 5000,
    };
    const tracker = await createTracker(config, { configDir, runId: 'outage-run', runName: 'outage', log });
    await tracker.logParams({ lr: 0.01 });
    for (let epoch = 0; epoch < 5; epoch++)
      await tracker.logMetrics({ loss: 10 - epoch, acc: epoch / 10 }, epoch);
    await tracker.flush();
    const before = await findRun('plantid-outage', 'outage-run');
    expect(before).toHaveLength(1);
    const runId = before[0]!.info.run_id;
    expect((await history(runId, 'loss')).length).toBe(5);

    await server.stop();
    for (let epoch = 5; epoch < 10; epoch++)
      await tracker.logMetrics({ loss: 10 - epoch, acc: epoch / 10 }, epoch);
    await tracker.logMetrics({ 'test/top1': 0.91 });
    const finished = await tracker.finish();
    expect(finished.sync).toMatchObject({ ok: false });
    expect(finished.sync && !finished.sync.ok && finished.sync.pendingEvents).toBeGreaterThanOrEqual(7);
    expect(log.lines.join('\n')).toMatch(/runs sync --to http:\/\/127\.0\.0\.1:\d+/);

    // With the server still down, `runs sync` fails with a one-line message and keeps everything.
    const storeDir = join(configDir, 'buffer');
    await expect(syncStore({ storeDir, to: server.uri, retries: 0 })).rejects.toThrow(
      /nothing is lost|stopped/,
    );

    await server.start();
    const synced = await syncStore({ storeDir, to: server.uri });
    expect(synced).toEqual([expect.objectContaining({ remoteRunId: runId, createdRun: false })]);
    for (const key of ['loss', 'acc']) {
      const points = await history(runId, key);
      expect(points.map((p) => p.step).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
    expect((await history(runId, 'test/top1')).map((p) => p.value)).toEqual([0.91]);
    const run = await api<{ run: Run }>(`runs/get?run_id=${runId}`);
    expect(run.run.info.status).toBe('FINISHED');

    const second = await syncStore({ storeDir, to: server.uri });
    expect(second[0]).toMatchObject({ applied: 0, createdRun: false });
    expect((await history(runId, 'loss')).length).toBe(10);
    expect(await findRun('plantid-outage', 'outage-run')).toHaveLength(1);
    const local = await new LocalStore(storeDir).readRun('outage-run');
    expect(local.metrics.loss).toHaveLength(10);
    expect(await readFile(join(storeDir, 'runs', 'outage-run', 'events.jsonl'), 'utf8')).toContain(
      '"test/top1"',
    );
  });

  it('retries a read that timed out, but never repeats a runs/create that may have reached the server', async () => {
    // A loopback proxy in front of the real server that answers the first call of each endpoint
    // late (after forwarding it, so MLflow acts on it), as a slow network would.
    const proxy = await slowProxy(server.uri, ['experiments/get-by-name', 'runs/create'], 1500);
    try {
      const client = new MlflowClient({ uri: proxy.uri, retries: 3, timeoutMs: 500, backoffMs: 10 });
      const experimentId = await client.ensureExperiment('plantid-timeouts');
      expect(proxy.calls('experiments/get-by-name')).toBe(2);

      const error = await client
        .createRun({ experimentId, runName: 'slow-create', startTime: Date.now(), tags: [] })
        .catch((e: unknown) => e);
      expect(String(error)).toMatch(/runs\/create: no answer in 500 ms/);
      expect(proxy.calls('runs/create')).toBe(1);
      await proxy.idle();
      const runs = await api<{ runs?: Run[] }>('runs/search', {
        experiment_ids: [experimentId],
        filter: "attributes.run_name = 'slow-create'",
      });
      expect(runs.runs).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});

/** Forwards every request to `target`; the first request to each of `slow` is answered `delayMs` late. */
async function slowProxy(target: string, slow: string[], delayMs: number) {
  const counts = new Map<string, number>();
  const pending = new Set<Promise<void>>();
  const server: Server = createServer((req, res) => {
    const done = (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const endpoint = slow.find((s) => req.url?.includes(`/mlflow/${s}`));
      if (endpoint) counts.set(endpoint, (counts.get(endpoint) ?? 0) + 1);
      const upstream = await fetch(`${target}${req.url}`, {
        method: req.method ?? 'GET',
        headers: { 'Content-Type': req.headers['content-type'] ?? 'application/json' },
        ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      if (endpoint && counts.get(endpoint) === 1) await new Promise((r) => setTimeout(r, delayMs));
      if (!res.destroyed) res.writeHead(upstream.status, { 'Content-Type': 'application/json' }).end(body);
    })().catch(() => {
      res.destroy();
    });
    pending.add(done);
    void done.finally(() => pending.delete(done));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    uri: `http://127.0.0.1:${port}`,
    calls: (endpoint: string) => counts.get(endpoint) ?? 0,
    idle: async () => {
      while (pending.size) await Promise.all(pending);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
