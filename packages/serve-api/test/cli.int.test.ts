import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runServeCommand } from '../src/index.js';
import { BACKBONE, DATASET, REPO_ROOT, type TestBundle, testBundle } from './fixtures/bundle.js';

/** The two command lines that start the server, run from source (the processes are spawned, not imported). */
const ENTRIES = {
  'plantid-api': ['apps/api/src/main.ts'],
  'pipeline serve': ['apps/pipeline/src/cli.ts', 'serve'],
} as const;

interface Run {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exit: Promise<number | null>;
}

function run(entry: readonly string[], args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(
    process.execPath,
    ['--conditions=@plantid/source', '--import', 'tsx', ...entry, ...args],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, PLANTID_RATE_LIMIT: '0' },
    },
  );
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout!.on('data', (d: Buffer) => stdout.push(...String(d).split('\n').filter(Boolean)));
  child.stderr!.on('data', (d: Buffer) => stderr.push(String(d)));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout, stderr, exit };
}

async function listeningUrl(r: Run): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const line = r.stdout
      .map((l) => JSON.parse(l) as { event?: string; url?: string })
      .find((l) => l.event === 'listening');
    if (line?.url) return line.url;
    if (r.child.exitCode !== null) throw new Error(`server exited: ${r.stderr.join('')}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('server did not start in 60 s');
}

describe('starting the server from the command line', () => {
  let bundle: TestBundle;
  const running: Run[] = [];
  beforeAll(async () => {
    bundle = await testBundle();
  });
  afterEach(() => {
    for (const r of running.splice(0)) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  });

  it('pnpm start -- --bundle name@version: resolves through PLANTID_REGISTRY, serves, exits 0 on SIGTERM', async () => {
    // `pnpm --filter api start -- --bundle x` hands the script a literal `--` first.
    const feedback = await mkdtemp(join(tmpdir(), 'plantid-cli-'));
    const r = run(ENTRIES['plantid-api'], ['--', '--bundle', 'leaf-test@1', '--port', '0'], {
      PLANTID_REGISTRY: bundle.registryDir,
      PLANTID_FEEDBACK_DIR: feedback,
    });
    running.push(r);
    const url = await listeningUrl(r);
    expect(await (await fetch(`${url}/readyz`)).json()).toMatchObject({
      status: 'ready',
      model: { name: 'leaf-test', version: '1' },
    });
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    expect(r.stdout.some((l) => l.includes('"event":"shutdown"'))).toBe(true);
  });

  it('pipeline serve --bundle <dir> serves the same API and exits 0 on Ctrl-C', async () => {
    const r = run(ENTRIES['pipeline serve'], ['--bundle', bundle.dir, '--port', '0']);
    running.push(r);
    const url = await listeningUrl(r);
    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({
      status: 'ok',
      model: { name: 'leaf-test' },
    });
    r.child.kill('SIGINT');
    expect(await r.exit).toBe(0);
  });

  it('reads serve settings from config.yaml (paths relative to it), environment winning over the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plantid-config-'));
    await writeFile(
      join(dir, 'config.yaml'),
      [
        `data: { root: ${DATASET} }`,
        `model: { weights: ${BACKBONE} }`,
        'serve:',
        `  bundle: ${bundle.dir}`,
        '  port: 0',
        '  topK: 2',
        '  feedbackDir: my-feedback',
        '  rateLimit: { max: 0 }',
      ].join('\n'),
    );
    const stop = new AbortController();
    let url = '';
    const serving = runServeCommand(
      { config: 'config.yaml' },
      {
        signal: stop.signal,
        cwd: dir,
        env: { PLANTID_MAX_UPLOAD_MB: '1' },
        logger: false,
        onStarted: (s) => (url = s.url),
      },
    );
    let failed: unknown;
    serving.catch((error: unknown) => (failed = error));
    while (!url && !failed) await new Promise((r) => setTimeout(r, 20));
    if (failed) throw failed;
    const photo = await readFile(bundle.heldOut[0]![0]!);
    const form = new FormData();
    form.append('image', new Blob([photo]), 'leaf.webp');
    const body = (await (await fetch(`${url}/v1/predict`, { method: 'POST', body: form })).json()) as {
      id: string;
      predictions: unknown[];
    };
    expect(body.predictions).toHaveLength(2);
    const big = new FormData();
    big.append('image', new Blob([Buffer.alloc(1.5 * 1024 * 1024)]), 'big.jpg');
    expect((await fetch(`${url}/v1/predict`, { method: 'POST', body: big })).status).toBe(413);
    const label = (body.predictions[0] as { label: string }).label;
    const feedback = await fetch(`${url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ predictionId: body.id, label, consent: false }),
    });
    expect(feedback.status).toBe(201);
    expect(await readFile(join(dir, 'my-feedback', 'feedback.jsonl'), 'utf8')).toContain(body.id);
    stop.abort();
    await serving;
  });

  it('exits 2 with one line naming the problem for a missing bundle, a bad env var or no bundle at all', async () => {
    const missing = run(ENTRIES['plantid-api'], ['--bundle', 'no/such/bundle', '--port', '0']);
    const badEnv = run(ENTRIES['plantid-api'], ['--bundle', bundle.dir], { PLANTID_PORT: 'http' });
    const none = run(ENTRIES['pipeline serve'], [], { PLANTID_BUNDLE: '' });
    expect(await Promise.all([missing.exit, badEnv.exit, none.exit])).toEqual([2, 2, 2]);
    expect(missing.stderr.join('')).toMatch(/^error: .*no\/such\/bundle: bundle folder does not exist/m);
    expect(badEnv.stderr.join('')).toContain('error: PLANTID_PORT: expected a number, got "http"');
    expect(none.stderr.join('')).toContain('error: --bundle: no model to serve');
  });
});
