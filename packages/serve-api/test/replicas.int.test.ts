import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NginxServer, type RedisServer, startNginx, startRedis } from '@plantid/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBundle } from './fixtures/bundle.js';
import { multipart, readPhotos } from './helpers.js';

interface Replica {
  url: string;
  child: ChildProcess;
  /** The JSON log lines it wrote so far. */
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** One API process (test/fixtures/server-process.ts) with the given PLANTID_* settings. */
async function startReplica(bundleDir: string, env: Record<string, string>): Promise<Replica> {
  const child = fork(join(import.meta.dirname, 'fixtures', 'server-process.ts'), [bundleDir], {
    execArgv: ['--conditions=@plantid/source', '--import', 'tsx'],
    env: { ...process.env, ...env, PLANTID_INFERENCE_WORKERS: '1' },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const logs: Record<string, unknown>[] = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line.startsWith('{')) logs.push(JSON.parse(line));
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`replica exited with ${code}`)));
  });
  return {
    url,
    child,
    logs,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.send('stop');
      await exited;
    },
  };
}

const hostPort = (url: string) => new URL(url).host;
const handled = (replica: Replica, event: string, key: string, id: string) =>
  replica.logs.some((l) => l.event === event && l[key] === id);

describe('two replicas behind nginx sharing a Redis prediction store', () => {
  let redis: RedisServer;
  let nginx: NginxServer;
  let replicas: Replica[];
  let feedbackDir: string;
  let photos: Buffer[];

  beforeAll(async () => {
    const bundle = await testBundle();
    photos = await readPhotos(bundle.heldOut.map((list) => list[0]!).slice(0, 3));
    redis = await startRedis();
    feedbackDir = await mkdtemp(join(tmpdir(), 'plantid-replicas-feedback-'));
    const env = { PLANTID_STORE: redis.url, PLANTID_FEEDBACK_DIR: feedbackDir };
    replicas = await Promise.all([startReplica(bundle.dir, env), startReplica(bundle.dir, env)]);
    nginx = await startNginx({ upstreams: replicas.map((r) => hostPort(r.url)) });
  }, 180_000);
  afterAll(async () => {
    await Promise.all((replicas ?? []).map((r) => r.stop()));
    await nginx?.stop();
    await redis?.stop();
    if (feedbackDir) await rm(feedbackDir, { recursive: true, force: true });
  });

  it('takes feedback through the replica that did not make the prediction, and stores the photo once', async () => {
    const crossed: string[] = [];
    const photo = photos[0]!;
    // Round robin alternates the replicas; each feedback goes to the one after its prediction's.
    for (let i = 0; i < 4; i++) {
      const predicted = await fetch(`${nginx.url}/v1/predict`, {
        method: 'POST',
        body: multipart({ image: photo }),
      });
      expect(predicted.status).toBe(200);
      const { id, predictions } = (await predicted.json()) as {
        id: string;
        predictions: { label: string }[];
      };
      const feedback = await fetch(`${nginx.url}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ predictionId: id, label: predictions[0]!.label, consent: true }),
      });
      expect(feedback.status, await feedback.clone().text()).toBe(201);
      expect(((await feedback.json()) as { imageStored: boolean }).imageStored).toBe(true);
      await new Promise((r) => setTimeout(r, 50)); // the feedback log line reaches our pipe
      const by = replicas.findIndex((r) => handled(r, 'prediction', 'predictionId', id));
      const took = replicas.findIndex((r) => handled(r, 'feedback', 'predictionId', id));
      expect(by).toBeGreaterThanOrEqual(0);
      expect(took).toBeGreaterThanOrEqual(0);
      if (by !== took) crossed.push(id);
    }
    expect(crossed.length).toBeGreaterThan(0);
    // Four feedback records, one photo file: content-addressed, whichever replica wrote it.
    const records = (await readFile(join(feedbackDir, 'feedback.jsonl'), 'utf8')).trim().split('\n');
    expect(records).toHaveLength(4);
    const images = await readdir(join(feedbackDir, 'images'), { recursive: true, withFileTypes: true });
    expect(images.filter((e) => e.isFile())).toHaveLength(1);
    // The photos wait in Redis, not in the replicas' memory; they expire there.
    expect(Number(await redis.cli('DBSIZE'))).toBeGreaterThanOrEqual(4);
    expect(Number(await redis.cli('PTTL', `plantid:prediction:${crossed[0]}`))).toBeGreaterThan(0);
  });

  it('with Redis gone: readiness 503 with the reason, predictions still answer, feedback 503 and nothing written', async () => {
    const predicted = await fetch(`${replicas[0]!.url}/v1/predict`, {
      method: 'POST',
      body: multipart({ image: photos[1]! }),
    });
    const { id, predictions } = (await predicted.json()) as { id: string; predictions: { label: string }[] };
    const before = await readFile(join(feedbackDir, 'feedback.jsonl'), 'utf8');
    await redis.stop();
    await new Promise((r) => setTimeout(r, 300));

    const ready = await fetch(`${replicas[0]!.url}/readyz`);
    expect(ready.status).toBe(503);
    const readyBody = (await ready.json()) as { status: string; reason?: string };
    expect(readyBody.status).toBe('store unavailable');
    expect(readyBody.reason).toMatch(/redis|ECONNREFUSED|unreachable|closed/i);

    const again = await fetch(`${replicas[0]!.url}/v1/predict`, {
      method: 'POST',
      body: multipart({ image: photos[2]! }),
    });
    expect(again.status).toBe(200);

    const feedback = await fetch(`${replicas[1]!.url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ predictionId: id, label: predictions[0]!.label, consent: true }),
    });
    expect(feedback.status).toBe(503);
    expect(((await feedback.json()) as { code: string }).code).toBe('STORE_UNAVAILABLE');
    expect(await readFile(join(feedbackDir, 'feedback.jsonl'), 'utf8')).toBe(before);
  });
});
