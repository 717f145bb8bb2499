import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../../../test/support/tiers.js';
import { startTestServer, type TestServer } from './helpers.js';

/** Installed by .ci/setup.d/55-schemathesis.sh. */
const SCHEMATHESIS =
  process.env.PLANTID_SCHEMATHESIS ?? join(homedir(), '.cache/plantid-tools/schemathesis-venv/bin/st');
const HOOKS_DIR = join(import.meta.dirname, 'schemathesis');
const TOKEN = 'conformance-admin-token-0123456789';
/** Cases per operation and phase; with the seed, this fixes the run (≈500 requests over 8 operations). */
const MAX_EXAMPLES = 20;
const SEED = 42;

interface Run {
  code: number | null;
  output: string;
}

/** Runs `st` in a temp folder: it keeps a `.schemathesis/` cache in its working directory. */
async function schemathesis(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const cwd = await mkdtemp(join(tmpdir(), 'plantid-schemathesis-'));
  return new Promise((resolve, reject) => {
    const child = spawn(SCHEMATHESIS, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('Schemathesis against a real server on loopback (the API as its OpenAPI document says)', () => {
  let server: TestServer;
  let run: Run;

  beforeAll(async () => {
    requireService('Schemathesis');
    if (!existsSync(SCHEMATHESIS))
      throw new Error(`${SCHEMATHESIS} is missing: run .ci/setup.d/55-schemathesis.sh`);
    server = await startTestServer({ adminToken: TOKEN });
    const photos = server.bundle.heldOut.map((list) => list[0]!);
    run = await schemathesis(
      [
        'run',
        `${server.url}/openapi.json`,
        '--checks',
        'all',
        '--phases',
        'examples,coverage,fuzzing,stateful',
        '--max-examples',
        String(MAX_EXAMPLES),
        '--seed',
        String(SEED),
        '--workers',
        '1',
        '--request-timeout',
        '30',
        '--header',
        `Authorization: Bearer ${TOKEN}`,
        '--no-color',
      ],
      {
        PYTHONPATH: HOOKS_DIR,
        SCHEMATHESIS_HOOKS: 'plantid_hooks',
        PLANTID_ST_PHOTOS: photos.join(delimiter),
      },
    );
  });
  afterAll(() => server?.close());

  it('finds no failure with every check, in every phase including the stateful one', () => {
    expect(run.code, run.output).toBe(0);
    const summary = /(\d+) generated, (\d+) passed/.exec(run.output);
    expect(summary, run.output).not.toBeNull();
    expect(summary![2]).toBe(summary![1]);
    expect(Number(summary![1])).toBeGreaterThan(300);
    expect(run.output).toMatch(/✅ Stateful/);
  });

  it('got no 5xx and no undeclared or uncatalogued error from the server', async () => {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics.match(/plantid_http_requests_total\{[^}]*status="5\d\d"\}.*/g) ?? []).toEqual([]);
    expect(server.logs.filter((l) => (l.level as number) >= 50)).toEqual([]);
  });

  it('reached /v1/feedback with prediction ids the server had just issued', () => {
    const issued = new Set(server.logs.filter((l) => l.event === 'prediction').map((l) => l.predictionId));
    const stored = server.logs.filter((l) => l.event === 'feedback');
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.every((l) => issued.has(l.predictionId))).toBe(true);
  });
});
