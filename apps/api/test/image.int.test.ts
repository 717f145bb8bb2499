import { execFile, spawn } from 'node:child_process';
import { chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { baseImage, freePort, podmanEnv, pythonTool, systemTool } from '@plantid/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The serve-api tests' real bundle (MobileNetV2 + a head trained on 5 leaf40 species), built once per machine.
import { type TestBundle, testBundle } from '../../../packages/serve-api/test/fixtures/bundle.js';

const REPO = resolve(import.meta.dirname, '../../..');
const TAG = 'localhost/plantid-api:test';
/** uid:gid the image runs as (deploy/Dockerfile `USER`). */
const IMAGE_USER = '1000:1000';
const exec = promisify(execFile);

/** Runs a command to completion; never throws, so a test can assert on the exit code and the output. */
function run(command: string, args: string[], env = podmanEnv()) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    const child = spawn(command, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
  });
}

async function podman(...args: string[]): Promise<string> {
  const { stdout } = await exec(systemTool('podman'), args, { env: podmanEnv(), maxBuffer: 16 << 20 });
  return stdout.trim();
}

describe('the API image (deploy/Dockerfile, built with podman on the local Debian base)', () => {
  let bundle: TestBundle;
  let container = '';
  let dataDir = '';
  let url = '';
  let photo = '';
  let expected = '';

  beforeAll(async () => {
    bundle = await testBundle();
    photo = bundle.heldOut[0]![0]!;
    expected = (JSON.parse(await readFile(join(bundle.dir, 'labels.json'), 'utf8')) as { id: string }[])[0]!
      .id;
    // The offline path of deploy/build-image.sh: Node, pnpm and packages from this machine, no registry.
    const build = await run('bash', ['deploy/build-image.sh', TAG], {
      ...podmanEnv(),
      PLANTID_BASE_IMAGE: baseImage(),
    });
    if (build.code !== 0)
      throw new Error(`image build failed:\n${build.stdout.slice(-3000)}\n${build.stderr.slice(-3000)}`);

    // What a read-only deployment looks like: root filesystem read-only, the registry mounted
    // read-only, feedback on a volume owned by the image's user.
    dataDir = await mkdtemp(join(tmpdir(), 'plantid-image-data-'));
    const [uid, gid] = IMAGE_USER.split(':').map(Number);
    await chown(dataDir, uid!, gid!);
    const port = await freePort();
    const started = performance.now();
    container = await podman(
      'run',
      '-d',
      '--read-only',
      '-p',
      `127.0.0.1:${port}:8080`,
      '-v',
      `${bundle.registryDir}:/models:ro`,
      '-v',
      `${dataDir}:/data`,
      TAG,
      '--bundle',
      '/models/leaf-test/1',
    );
    url = `http://127.0.0.1:${port}`;
    for (const deadline = Date.now() + 90_000; ; ) {
      const status = await fetch(`${url}/readyz`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) break;
      if (Date.now() > deadline) throw new Error(`not ready after 90 s:\n${await podman('logs', container)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // A figure for the README, not an assertion (timings belong in benchmarks).
    console.log(`image ${TAG}: ready ${Math.round(performance.now() - started)} ms after podman run`);
  }, 900_000);

  afterAll(async () => {
    // podman's conmon leaves the test's process group: the container is removed by id.
    if (container) await podman('rm', '-f', '-t', '0', container).catch(() => undefined);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('passes hadolint', async () => {
    const lint = await run(pythonTool('hadolint'), ['deploy/Dockerfile']);
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.code).toBe(0);
  });

  it('runs as a non-root user, with a HEALTHCHECK on /readyz, in the Docker format that keeps it', async () => {
    const inspect = (field: string) => podman('image', 'inspect', '--format', `{{json ${field}}}`, TAG);
    expect(JSON.parse(await inspect('.Config.User'))).toBe(IMAGE_USER);
    const healthcheck = JSON.parse(await inspect('.Config.Healthcheck')) as { Test: string[] } | null;
    expect(healthcheck?.Test.join(' ')).toContain('/readyz');
    expect(await podman('exec', container, 'id', '-u')).toBe('1000');
    const check = await run(systemTool('podman'), ['healthcheck', 'run', container]);
    expect(check.code).toBe(0);
  });

  it('passes scripts/smoke.ts: probes, a real photo to its label, garbage refused, metrics, OpenAPI', async () => {
    const smoke = await run(process.execPath, [
      'scripts/smoke.ts',
      url,
      '--photo',
      photo,
      '--expect',
      expected,
    ]);
    expect(smoke.stdout).toMatch(/all 6 checks pass/);
    expect(smoke.stdout.split('\n').filter((l) => l.startsWith('ok '))).toHaveLength(6);
    expect(smoke.code).toBe(0);
  });

  it('the smoke test fails (exit 1, the failing check named) when the photo does not get the label', async () => {
    const wrong = (
      JSON.parse(await readFile(join(bundle.dir, 'labels.json'), 'utf8')) as { id: string }[]
    )[1]!.id;
    const smoke = await run(process.execPath, ['scripts/smoke.ts', url, '--photo', photo, '--expect', wrong]);
    expect(smoke.stdout).toMatch(
      new RegExp(`FAIL predict a real photo: top-1 ${expected} .*expected ${wrong}`),
    );
    expect(smoke.code).toBe(1);
    const usage = await run(process.execPath, ['scripts/smoke.ts', url]);
    expect(usage.stderr).toMatch(/--photo and --expect are required/);
    expect(usage.code).toBe(2);
  });

  it('keeps feedback on the /data volume while the root filesystem is read-only', async () => {
    expect((await run(systemTool('podman'), ['exec', container, 'touch', '/app/x'])).stderr).toMatch(
      /Read-only/,
    );
    const form = new FormData();
    form.append('image', new Blob([await readFile(photo)]), 'leaf.webp');
    const prediction = (await (await fetch(`${url}/v1/predict`, { method: 'POST', body: form })).json()) as {
      id: string;
    };
    const response = await fetch(`${url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ predictionId: prediction.id, label: expected, consent: true }),
    });
    expect(response.status).toBeLessThan(300);
    const files = await readdir(join(dataDir, 'feedback'), { recursive: true });
    expect(files.some((f) => f.endsWith('.jsonl'))).toBe(true);
  });

  it('stops on SIGTERM within the grace period, exit code 0', async () => {
    await podman('stop', '-t', '30', container);
    expect(await podman('inspect', '--format', '{{.State.ExitCode}}', container)).toBe('0');
    expect(await podman('logs', container)).toContain('finishing in-flight requests');
  });
});
