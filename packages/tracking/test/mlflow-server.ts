import { type ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { requireService } from '../../../test/support/tiers.js';

/** The mlflow binary installed by .ci/setup.d/50-mlflow.sh. */
export function mlflowBinary(): string {
  const tools = process.env.PLANTID_TOOLS ?? join(homedir(), '.cache', 'plantid-tools');
  return process.env.PLANTID_MLFLOW ?? join(tools, 'venv', 'bin', 'mlflow');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * A real `mlflow server` on a free loopback port, with a sqlite backend and proxied artefacts
 * in `dir`. `stop()` and `start()` again keep the same port and data (the outage test).
 */
export class MlflowServer {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async start(dir: string): Promise<MlflowServer> {
    requireService('MLflow');
    const server = new MlflowServer(dir, await freePort());
    await server.start();
    return server;
  }

  get uri(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Reads through MLflow's own REST API with plain fetch, independent of our client. */
  async api<T>(path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.uri}/api/2.0/mlflow/${path}`, {
      method: body ? 'POST' : 'GET',
      ...(body ? { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    if (!response.ok) throw new Error(`MLflow ${path}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  async start(): Promise<void> {
    const logPath = join(this.dir, 'server.log');
    const out = openSync(logPath, 'a');
    const child = spawn(
      mlflowBinary(),
      [
        'server',
        '--backend-store-uri',
        `sqlite:///${join(this.dir, 'mlflow.db')}`,
        '--artifacts-destination',
        join(this.dir, 'artifacts'),
        '--host',
        '127.0.0.1',
        '--port',
        String(this.port),
        '--workers',
        '1',
      ],
      // No background job runners (huey): they import MLflow again and slow start-up; tracking needs none.
      {
        detached: true,
        stdio: ['ignore', out, out],
        env: { ...process.env, MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false' },
      },
    );
    this.child = child;
    let exitCode: number | null = null;
    this.exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        exitCode = code ?? -1;
        resolve();
      }),
    );
    const deadline = Date.now() + 240_000;
    while (Date.now() < deadline) {
      if (exitCode !== null) {
        const log = await readFile(logPath, 'utf8').catch(() => '');
        throw new Error(
          `mlflow server exited with ${exitCode} (is .ci/setup.d/50-mlflow.sh installed?)\n${log.slice(-2000)}`,
        );
      }
      try {
        const response = await fetch(`${this.uri}/health`, { signal: AbortSignal.timeout(2000) });
        if (response.ok) {
          // /health answers before the REST app has loaded; the first API call pays for that, so pay it here.
          await fetch(`${this.uri}/api/2.0/mlflow/experiments/search?max_results=1`, {
            signal: AbortSignal.timeout(120_000),
          });
          return;
        }
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`mlflow server did not answer /health on ${this.uri} within 240 s`);
  }

  /** Stops the server and the workers it started (its own process group). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    this.child = null;
    const group = -child.pid;
    try {
      process.kill(group, 'SIGTERM');
    } catch {
      return;
    }
    const killed = await Promise.race([
      this.exited.then(() => true),
      new Promise((r) => setTimeout(() => r(false), 15_000)),
    ]);
    try {
      process.kill(group, killed ? 0 : 'SIGKILL');
      // Workers of the group may outlive the parent briefly.
      process.kill(group, 'SIGKILL');
    } catch {
      // group gone
    }
    await this.waitPortClosed();
  }

  private async waitPortClosed(): Promise<void> {
    for (let i = 0; i < 60; i++) {
      try {
        await fetch(`${this.uri}/health`, { signal: AbortSignal.timeout(500) });
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
