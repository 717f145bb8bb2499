import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  freePort,
  httpAnswers,
  makeServiceDir,
  type Service,
  startService,
  toolsDir,
} from '@plantid/testkit';

const run = promisify(execFile);

/** What the anchor needs, pinned loosely: the stack a Python team would deploy today. */
const PACKAGES = ['fastapi', 'uvicorn', 'python-multipart', 'onnxruntime', 'pillow', 'numpy'];
const CHECK = 'import fastapi, uvicorn, multipart, onnxruntime, PIL, numpy';

/**
 * python3 of the anchor's own venv, `$PLANTID_TOOLS/serve-anchor-venv` (like .ci/lib/venv.sh's tool
 * venvs): made and pip-installed on first use, reused while its imports still work.
 */
export async function anchorPython(log: (line: string) => void): Promise<string> {
  const venv = join(toolsDir(), 'serve-anchor-venv');
  const python = join(venv, 'bin', 'python');
  const works = () =>
    run(python, ['-c', CHECK]).then(
      () => true,
      () => false,
    );
  if (existsSync(python) && (await works())) return python;
  log(`making the anchor's venv ${venv} (pip install ${PACKAGES.join(' ')})`);
  if (!existsSync(python)) await run('python3', ['-m', 'venv', venv]);
  await run(python, ['-m', 'pip', 'install', '--quiet', ...PACKAGES], { maxBuffer: 16 * 1024 * 1024 });
  if (!(await works()))
    throw new Error(`the anchor's venv ${venv} cannot import its packages after pip install`);
  return python;
}

export interface AnchorServer extends Service {
  readonly url: string;
}

/** FastAPI + uvicorn + ONNX Runtime + Pillow (bench/anchor/server.py) on the bundle, on a free loopback port. */
export async function startAnchor(
  python: string,
  bundleDir: string,
  config: { workers: number; threads: number },
): Promise<AnchorServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const service = await startService({
    name: 'serve-anchor',
    command: python,
    args: [
      '-m',
      'uvicorn',
      'server:app',
      '--app-dir',
      import.meta.dirname,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--workers',
      String(config.workers),
      '--no-access-log',
      '--log-level',
      'warning',
    ],
    port,
    dir: await makeServiceDir('serve-anchor'),
    removeDir: true,
    env: {
      ...process.env,
      ANCHOR_BUNDLE: bundleDir,
      ANCHOR_THREADS: String(config.threads),
      OMP_NUM_THREADS: String(config.threads),
    },
    ready: httpAnswers(`${url}/healthz`),
    readyTimeoutMs: 60_000,
    hint: `the anchor's venv: ${python}`,
  });
  return Object.assign(service, { url });
}
