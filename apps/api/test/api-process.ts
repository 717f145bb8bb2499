import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../../..');

export interface ApiProcess {
  /** http://127.0.0.1:<port> */
  url: string;
  /** host:port, as nginx upstreams and Prometheus targets want it. */
  address: string;
  child: ChildProcess;
  /** SIGKILL (a crash), then waits for the exit. */
  kill(): Promise<void>;
}

/**
 * `plantid-api` as its own process, from source (`apps/api/src/main.ts`), on a free loopback port;
 * resolves once /readyz answers 200. Stop it with `kill()` (tests also register it for afterAll).
 */
export async function startApiProcess(bundleDir: string, env: NodeJS.ProcessEnv = {}): Promise<ApiProcess> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@plantid/source',
      '--import',
      'tsx',
      'apps/api/src/main.ts',
      '--bundle',
      bundleDir,
      '--port',
      '0',
    ],
    { cwd: REPO, env: { ...process.env, PLANTID_RATE_LIMIT: '0', PLANTID_HOST: '127.0.0.1', ...env } },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    for (const deadline = Date.now() + 120_000; ; ) {
      if (child.exitCode !== null) throw new Error(`plantid-api exited ${child.exitCode}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`plantid-api not ready in 120 s: ${stderr}`);
      const url = /"event":"listening"[^\n]*"url":"([^"]+)"/.exec(stdout)?.[1];
      if (
        url &&
        (await fetch(`${url}/readyz`).then(
          (r) => r.status,
          () => 0,
        )) === 200
      )
        return { url, address: new URL(url).host, child, kill };
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (error) {
    await kill();
    throw error;
  }
}
