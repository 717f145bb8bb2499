import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where .ci/setup.d puts Python venvs and tool caches. */
export function toolsDir(): string {
  return process.env.PLANTID_TOOLS ?? join(homedir(), '.cache', 'plantid-tools');
}

interface Tool {
  /** Environment variable the setup script exports (wins when set). */
  env: string;
  /** Default path: absolute, or relative to toolsDir(). */
  path: string;
  setup: string;
}

const SYSTEM_TOOLS = {
  nginx: { env: 'PLANTID_NGINX', path: '/usr/sbin/nginx', setup: '60-nginx.sh' },
  'redis-server': { env: 'PLANTID_REDIS_SERVER', path: '/usr/bin/redis-server', setup: '61-redis.sh' },
  'redis-cli': { env: 'PLANTID_REDIS_CLI', path: '/usr/bin/redis-cli', setup: '61-redis.sh' },
  prometheus: { env: 'PLANTID_PROMETHEUS', path: '/usr/bin/prometheus', setup: '62-prometheus.sh' },
  promtool: { env: 'PLANTID_PROMTOOL', path: '/usr/bin/promtool', setup: '62-prometheus.sh' },
  alertmanager: {
    env: 'PLANTID_ALERTMANAGER',
    path: '/usr/bin/prometheus-alertmanager',
    setup: '63-alertmanager.sh',
  },
  amtool: { env: 'PLANTID_AMTOOL', path: '/usr/bin/amtool', setup: '63-alertmanager.sh' },
  podman: { env: 'PLANTID_PODMAN', path: '/usr/bin/podman', setup: '65-podman.sh' },
} satisfies Record<string, Tool>;

const PYTHON_TOOLS = {
  mlflow: { env: 'PLANTID_MLFLOW', path: 'venv/bin/mlflow', setup: '50-mlflow.sh' },
  weed: { env: 'PLANTID_S3_SERVER', path: 'seaweedfs-venv/bin/weed', setup: '70-seaweedfs.sh' },
  'kubernetes-validate': {
    env: 'PLANTID_KUBERNETES_VALIDATE',
    path: 'kubernetes-validate-venv/bin/kubernetes-validate',
    setup: '71-kubernetes-validate.sh',
  },
  hadolint: { env: 'PLANTID_HADOLINT', path: 'hadolint-venv/bin/hadolint', setup: '72-hadolint.sh' },
  actionlint: {
    env: 'PLANTID_ACTIONLINT',
    path: 'actionlint-venv/bin/actionlint',
    setup: '75-actionlint.sh',
  },
  /** python3 of the venv with `tritonclient[http]`. */
  'tritonclient-python': {
    env: 'PLANTID_TRITONCLIENT_PYTHON',
    path: 'tritonclient-venv/bin/python',
    setup: '73-tritonclient.sh',
  },
  /** python3 of the venv with `kserve` and onnxruntime. */
  'kserve-python': { env: 'PLANTID_KSERVE_PYTHON', path: 'kserve-venv/bin/python', setup: '74-kserve.sh' },
} satisfies Record<string, Tool>;

export type SystemToolName = keyof typeof SYSTEM_TOOLS;
export type PythonToolName = keyof typeof PYTHON_TOOLS;

function resolveTool(name: string, tool: Tool): string {
  const path = process.env[tool.env] || (tool.path.startsWith('/') ? tool.path : join(toolsDir(), tool.path));
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`${name} not found at ${path} (${tool.env}): run \`bash .ci/setup.d/${tool.setup}\``);
  }
  return path;
}

/** The setup script that installs a tool, for error hints. */
export function setupHint(name: SystemToolName | PythonToolName): string {
  const tool: Tool =
    name in SYSTEM_TOOLS ? SYSTEM_TOOLS[name as SystemToolName] : PYTHON_TOOLS[name as PythonToolName];
  return `is \`bash .ci/setup.d/${tool.setup}\` installed?`;
}

/** Path of a Debian binary the setup scripts install; throws naming the script when it is missing. */
export function systemTool(name: SystemToolName): string {
  return resolveTool(name, SYSTEM_TOOLS[name]);
}

/** Path of a tool in its own Python venv under toolsDir(); throws naming the setup script when missing. */
export function pythonTool(name: PythonToolName): string {
  return resolveTool(name, PYTHON_TOOLS[name]);
}

/** The base image 65-podman.sh builds with debootstrap (no image can be pulled here). */
export function baseImage(): string {
  return process.env.PLANTID_BASE_IMAGE ?? 'localhost/debian:bookworm-slim';
}

/** Environment for podman and buildah: the CONTAINERS_CONF of 65-podman.sh (runc, ulimits). */
export function podmanEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? join(toolsDir(), 'containers.conf'),
  };
}
