import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryLogger } from '@plantid/core';
import { createTracker, LocalStore } from '@plantid/tracking';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

// `pipeline runs compare` and `runs sync` on a local tracking store (the MLflow round trip is in
// packages/tracking/test/mlflow.int.test.ts against a real server).
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plantid-runs-tracking-'));
  const config = {
    uri: 'file:./mlruns',
    experiment: 'plantid',
    localDir: 'mlruns',
    retries: 0,
    timeoutMs: 2000,
  };
  const log = createMemoryLogger();
  const a = await createTracker(config, { configDir: dir, runId: '20260101-000000-aaaa', log });
  await a.logParams({ 'train.head.lr': 0.001, seed: 42 });
  await a.logMetrics({ 'test.top1': 0.8, 'test.ece': 0.05 });
  await a.finish();
  const b = await createTracker(config, { configDir: dir, runId: '20260102-000000-bbbb', log });
  await b.logParams({ 'train.head.lr': 0.003, seed: 42 });
  await b.logMetrics({ 'test.top1': 0.9, 'test.ece': 0.04 });
  await b.finish();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    stages: [],
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    signal: new AbortController().signal,
    stderrIsTTY: false,
    stderrColor: false,
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('pipeline runs compare / sync', () => {
  it('compares two runs: metric changes and the params that differ', async () => {
    const r = await run([
      'runs',
      'compare',
      '20260101-000000-aaaa',
      '20260102-000000-bbbb',
      '--store',
      join(dir, 'mlruns'),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/test\.top1\s+0\.8000\s+0\.9000\s+\+0\.1000/);
    expect(r.stdout).toMatch(/train\.head\.lr\s+0\.001\s+0\.003/);
    expect(r.stdout).not.toMatch(/^seed/m);
    const json = await run([
      'runs',
      'compare',
      '20260101-000000-aaaa',
      '20260102-000000-bbbb',
      '--store',
      join(dir, 'mlruns'),
      '--json',
    ]);
    expect(JSON.parse(json.stdout).metrics).toContainEqual({
      key: 'test.ece',
      a: 0.05,
      b: 0.04,
      delta: expect.closeTo(-0.01, 10),
    });
  });

  it('names an unknown run with exit 2', async () => {
    const r = await run(['runs', 'compare', '20260101-000000-aaaa', 'nope', '--store', join(dir, 'mlruns')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: tracking: no run "nope" in .*mlruns \(see `pipeline runs list`\)\n$/);
  });

  it('sync to an unreachable server fails with exit 1 in one line and keeps everything', async () => {
    const port = await closedPort();
    const r = await run(['runs', 'sync', '--to', `http://127.0.0.1:${port}`, '--store', join(dir, 'mlruns')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `error: --to: sync of run 20260101-000000-aaaa to http://127\\.0\\.0\\.1:${port} stopped: .*ECONNREFUSED.*nothing is lost`,
      ),
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const store = new LocalStore(join(dir, 'mlruns'));
    expect((await store.listRuns()).map((x) => x.latest['test.top1'])).toEqual([0.9, 0.8]);
    expect(await store.readSyncState('20260101-000000-aaaa', `http://127.0.0.1:${port}`)).toBeNull();
  });

  it('refuses a --to that is not an MLflow server with exit 2', async () => {
    const r = await run(['runs', 'sync', '--to', 'file:./elsewhere', '--store', join(dir, 'mlruns')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/give an MLflow server as http\(s\):\/\/host:port/);
  });
});
