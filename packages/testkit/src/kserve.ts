import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { httpAnswers, makeServiceDir, type Service, startService } from './service.js';
import { pythonTool, setupHint } from './tools.js';

export interface KserveOptions {
  /**
   * A Python script that starts `kserve.ModelServer().start([...])` with KServe's own argument parser
   * (`kserve.model_server.parser`), as KServe's custom-model examples do.
   */
  script: string;
  /** More arguments for the script (e.g. `--model_name leaf`, `--model_dir …`). */
  args?: string[];
  /** State dir (kept on stop); a temp dir removed on stop when not given. */
  dir?: string;
  /** Python imports and model loading can take a while (default 120 s). */
  readyTimeoutMs?: number;
}

export interface KserveServer extends Service {
  /** `http://127.0.0.1:<port>`: the Open Inference Protocol v2 REST API (`/v2/...`). */
  readonly url: string;
}

const LOOPBACK_LAUNCHER = fileURLToPath(new URL('./kserve_loopback.py', import.meta.url));

/**
 * KServe's real model server (PyPI `kserve`) running `script` on a free loopback port: REST only (gRPC
 * off: it would bind [::]:8081), bound to 127.0.0.1 instead of KServe's hard-coded 0.0.0.0, one worker.
 * Ready when `/v2/health/ready` answers 200, i.e. every model it registered is ready.
 */
export async function startKserve(options: KserveOptions): Promise<KserveServer> {
  const port = await freePort();
  const dir = options.dir ?? (await makeServiceDir('kserve'));
  const url = `http://127.0.0.1:${port}`;
  const service = await startService({
    name: 'kserve',
    command: pythonTool('kserve-python'),
    args: [
      LOOPBACK_LAUNCHER,
      options.script,
      `--http_port=${port}`,
      '--enable_grpc=false',
      '--workers=1',
      ...(options.args ?? []),
    ],
    port,
    dir,
    removeDir: options.dir === undefined,
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
    ready: httpAnswers(`${url}/v2/health/ready`),
    readyTimeoutMs: options.readyTimeoutMs ?? 120_000,
    hint: setupHint('kserve-python'),
  });
  return { ...service, url };
}
