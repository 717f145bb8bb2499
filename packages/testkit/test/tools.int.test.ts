import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseImage, podmanEnv, pythonTool, systemTool } from '../src/index.js';

/** Runs a tool; resolves with its exit code and output instead of throwing on a non-zero exit. */
async function run(
  command: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, args, { env });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

const DEPLOYMENT = (extra: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: api }
spec:
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      containers:
        - name: api
          image: localhost/plantid-api:test
${extra}`;

describe('setup tools: each found and doing its job', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plantid-tools-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('kubernetes-validate --strict passes a Deployment and fails an unknown field', async () => {
    await writeFile(join(dir, 'good.yaml'), DEPLOYMENT(''));
    await writeFile(join(dir, 'bad.yaml'), DEPLOYMENT('          imagePullPolicyy: Always\n'));
    const validate = pythonTool('kubernetes-validate');
    expect((await run(validate, ['--strict', join(dir, 'good.yaml')])).code).toBe(0);
    const bad = await run(validate, ['--strict', join(dir, 'bad.yaml')]);
    expect(bad.code).not.toBe(0);
    expect(bad.output).toContain('imagePullPolicyy');
  });

  it('hadolint passes a pinned Dockerfile and flags an unpinned apt-get', async () => {
    await writeFile(join(dir, 'good.Dockerfile'), 'FROM debian:bookworm-slim\nUSER 65534\nCMD ["true"]\n');
    await writeFile(
      join(dir, 'bad.Dockerfile'),
      'FROM debian\nRUN apt-get update && apt-get install -y curl\n',
    );
    expect((await run(pythonTool('hadolint'), [join(dir, 'good.Dockerfile')])).code).toBe(0);
    const bad = await run(pythonTool('hadolint'), [join(dir, 'bad.Dockerfile')]);
    expect(bad.code).toBe(1);
    expect(bad.output).toMatch(/DL3008/);
  });

  it('actionlint flags script injection in a workflow', async () => {
    const workflow =
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.head_commit.message }}\n';
    await writeFile(join(dir, 'workflow.yml'), workflow);
    const result = await run(pythonTool('actionlint'), [join(dir, 'workflow.yml')]);
    expect(result.code).toBe(1);
    expect(result.output).toContain('potentially untrusted');
  });

  it('promtool and amtool check configs', async () => {
    await writeFile(
      join(dir, 'rules.yml'),
      'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n',
    );
    await writeFile(
      join(dir, 'broken.yml'),
      'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up ==\n',
    );
    expect((await run(systemTool('promtool'), ['check', 'rules', join(dir, 'rules.yml')])).code).toBe(0);
    expect((await run(systemTool('promtool'), ['check', 'rules', join(dir, 'broken.yml')])).code).toBe(1);
    await writeFile(join(dir, 'am.yml'), 'route: { receiver: r }\nreceivers: [{ name: r }]\n');
    expect((await run(systemTool('amtool'), ['check-config', join(dir, 'am.yml')])).code).toBe(0);
  });

  it('the tritonclient and kserve venvs import their packages', async () => {
    const triton = await run(pythonTool('tritonclient-python'), [
      '-c',
      'import tritonclient.http; print("ok")',
    ]);
    expect(triton).toMatchObject({ code: 0, output: expect.stringContaining('ok') });
    const kserve = await run(pythonTool('kserve-python'), ['-c', 'import kserve, onnxruntime; print("ok")']);
    expect(kserve).toMatchObject({ code: 0, output: expect.stringContaining('ok') });
  });

  it('podman runs the debootstrapped base image with runc and the configured ulimits', async () => {
    const result = await run(
      systemTool('podman'),
      ['run', '--rm', baseImage(), 'sh', '-c', 'ulimit -n; cat /etc/debian_version'],
      podmanEnv(),
    );
    expect(result.code).toBe(0);
    expect(result.output).toMatch(/^4096\n12\./);
    const info = await run(
      systemTool('podman'),
      ['info', '--format', '{{.Host.OCIRuntime.Name}}'],
      podmanEnv(),
    );
    expect(info.output.trim().split('\n').at(-1)).toBe('runc');
  });

  it('names the setup script when a tool is missing', () => {
    const saved = process.env.PLANTID_HADOLINT;
    process.env.PLANTID_HADOLINT = '/nonexistent/hadolint';
    try {
      expect(() => pythonTool('hadolint')).toThrow('run `bash .ci/setup.d/72-hadolint.sh`');
    } finally {
      if (saved === undefined) delete process.env.PLANTID_HADOLINT;
      else process.env.PLANTID_HADOLINT = saved;
    }
  });
});
