import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pythonTool } from '@plantid/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from './api-process.js';

/** kubectl (its built-in kustomize) and docker-compose: on PATH, or where the env var says. */
const KUBECTL = process.env.PLANTID_KUBECTL ?? 'kubectl';
const DOCKER_COMPOSE = process.env.PLANTID_DOCKER_COMPOSE ?? '/usr/bin/docker-compose';

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done, fail) => {
    const child = spawn(command, args, { cwd: REPO, env });
    let stdout = '';
    let stderr = '';
    child.on('error', (error) =>
      fail(new Error(`${command}: ${error.message} (is it installed? .ci/setup.d)`)),
    );
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
  });
}

const work = mkdtemp(join(tmpdir(), 'plantid-deploy-config-'));
afterAll(async () => rm(await work, { recursive: true, force: true }));

async function validate(manifests: string) {
  const file = join(await work, `manifests-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, manifests);
  return run(pythonTool('kubernetes-validate'), ['--strict', file]);
}

describe('Kubernetes manifests (deploy/k8s, kustomize base + overlays)', () => {
  for (const overlay of ['staging', 'production']) {
    it(`overlays/${overlay} renders and passes kubernetes-validate --strict`, async () => {
      const rendered = await run(KUBECTL, ['kustomize', `deploy/k8s/overlays/${overlay}`]);
      expect(rendered.stderr).toBe('');
      for (const kind of [
        'Deployment',
        'Service',
        'Ingress',
        'HorizontalPodAutoscaler',
        'PodDisruptionBudget',
        'ConfigMap',
        'Secret',
      ])
        expect(rendered.stdout).toMatch(new RegExp(`^kind: ${kind}$`, 'm'));
      // What a read-only, non-root pod with both probes looks like once rendered.
      for (const line of [
        'readOnlyRootFilesystem: true',
        'runAsNonRoot: true',
        'path: /readyz',
        'path: /healthz',
      ])
        expect(rendered.stdout).toContain(line);
      const checked = await validate(rendered.stdout);
      expect(checked.stdout + checked.stderr).not.toMatch(/ERROR|failed/i);
      expect(checked.code).toBe(0);
    });
  }

  it('an unknown field fails the strict validation', async () => {
    const rendered = await run(KUBECTL, ['kustomize', 'deploy/k8s/overlays/staging']);
    const broken = rendered.stdout.replace('readOnlyRootFilesystem: true', 'readOnlyRootFileSystem: true');
    expect(broken).not.toBe(rendered.stdout);
    const checked = await validate(broken);
    expect(checked.stdout + checked.stderr).toMatch(/readOnlyRootFileSystem/);
    expect(checked.code).not.toBe(0);
  });
});

describe('deploy/compose.yaml', () => {
  it('is a valid compose file (docker-compose config) with both replicas behind nginx', async () => {
    const env = { ...process.env, GRAFANA_ADMIN_PASSWORD: 'test-only' };
    const config = await run(DOCKER_COMPOSE, ['-f', 'deploy/compose.yaml', 'config'], env);
    expect(config.stderr).toBe('');
    expect(config.code).toBe(0);
    for (const service of ['api-1', 'api-2', 'nginx', 'prometheus', 'alertmanager', 'grafana'])
      expect(config.stdout).toMatch(new RegExp(`^  ${service}:$`, 'm'));
    expect(config.stdout).toContain('PLANTID_API_2: api-2:8080');
  });

  it('refuses to start Grafana without an admin password, naming the variable', async () => {
    const { GRAFANA_ADMIN_PASSWORD: _, ...env } = process.env;
    const config = await run(DOCKER_COMPOSE, ['-f', 'deploy/compose.yaml', 'config', '-q'], env);
    expect(config.stderr).toContain('set GRAFANA_ADMIN_PASSWORD');
    expect(config.code).not.toBe(0);
  });
});

describe('the CD workflow (.github/workflows/cd.yml)', () => {
  it('is actionlint-clean and smoke-tests staging before promoting', async () => {
    const lint = await run(pythonTool('actionlint'), ['.github/workflows/cd.yml']);
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.code).toBe(0);
    const workflow = await readFile(join(REPO, '.github/workflows/cd.yml'), 'utf8');
    const order = [
      'trivy-action',
      'overlays/staging',
      'scripts/smoke.ts',
      'models promote',
      'overlays/production',
    ];
    const jobs = workflow.indexOf('\njobs:');
    const at = order.map((step) => workflow.indexOf(step, jobs));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });
});
