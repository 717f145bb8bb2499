import { retry } from '@plantid/core';

/**
 * A small client for MLflow's REST API (2.x and 3.x: `/api/2.0/mlflow/...` and the artefact
 * proxy `/api/2.0/mlflow-artifacts/artifacts/...`) over fetch, with retries and exponential
 * backoff on network errors, timeouts, 429 and 5xx. Other 4xx answers are not retried, and
 * neither is a request that creates something (`runs/create`, `model-versions/create`) once the
 * server may have received it: a timed-out create may have succeeded, and a duplicate run or
 * model version is worse than an error (sync finds the run by its plantid.runId tag later).
 */
export interface MlflowClientOptions {
  uri: string;
  retries?: number;
  timeoutMs?: number;
  /** First backoff delay; doubles per attempt (with jitter), capped at 8 s. */
  backoffMs?: number;
  /** Extra headers; by default MLflow's own env vars give auth (MLFLOW_TRACKING_TOKEN or _USERNAME/_PASSWORD). */
  headers?: Record<string, string>;
}

export class MlflowError extends Error {
  constructor(
    message: string,
    /** HTTP status, or 0 when the server could not be reached. */
    readonly status: number,
    /** MLflow's error_code (e.g. RESOURCE_ALREADY_EXISTS), or NETWORK. */
    readonly code: string,
    /** True when the server certainly did not act on the request (refused connection, 429). */
    readonly notReceived = false,
  ) {
    super(message);
    this.name = 'MlflowError';
  }

  /** True when the server was unreachable or failing (worth retrying later), false when it refused the request. */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export interface MlflowTag {
  key: string;
  value: string;
}
export interface MlflowMetric {
  key: string;
  value: number | string;
  timestamp: number;
  step: number;
}
export interface MlflowRunInfo {
  run_id: string;
  experiment_id: string;
  run_name?: string;
  status: string;
  start_time?: number;
  end_time?: number;
  artifact_uri: string;
}
export interface MlflowRun {
  info: MlflowRunInfo;
  data: { metrics?: MlflowMetric[]; params?: MlflowTag[]; tags?: MlflowTag[] };
}
export interface MlflowModelVersion {
  name: string;
  version: string;
  source: string;
  run_id?: string;
  status?: string;
  tags?: MlflowTag[];
  aliases?: string[];
}

/** POSTs that create a new object on every call; the other endpoints we use are safe to repeat. */
const NOT_IDEMPOTENT = new Set(['/api/2.0/mlflow/runs/create', '/api/2.0/mlflow/model-versions/create']);

/** Network errors raised before the request reached the server (nothing can have happened there). */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export class MlflowClient {
  readonly base: string;
  private readonly retries: number;
  private readonly timeoutMs: number;
  private readonly backoffMs: number;
  private readonly headers: Record<string, string>;

  constructor(options: MlflowClientOptions) {
    this.base = options.uri.replace(/\/+$/, '');
    this.retries = options.retries ?? 4;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.backoffMs = options.backoffMs ?? 250;
    this.headers = { ...authHeadersFromEnv(), ...options.headers };
  }

  /** One request with retries; `path` is below the server root (e.g. `/api/2.0/mlflow/runs/get`). */
  async fetch(
    method: string,
    path: string,
    body?: unknown,
    query?: Record<string, string>,
  ): Promise<unknown> {
    const url = new URL(this.base + path);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    const isBytes = body instanceof Uint8Array;
    const init: RequestInit = {
      method,
      headers: {
        ...this.headers,
        ...(body === undefined
          ? {}
          : { 'Content-Type': isBytes ? 'application/octet-stream' : 'application/json' }),
      },
      ...(body === undefined
        ? {}
        : { body: isBytes ? (body as Uint8Array<ArrayBuffer>) : JSON.stringify(body) }),
    };
    const idempotent = !(method === 'POST' && NOT_IDEMPOTENT.has(url.pathname));
    const attempt = async (): Promise<unknown> => {
      let response: Response;
      try {
        response = await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
      } catch (error) {
        const timedOut = (error as Error).name === 'TimeoutError';
        const code = networkErrorCode(error);
        throw new MlflowError(
          `${method} ${url.pathname}: ${timedOut ? `no answer in ${this.timeoutMs} ms` : describeNetworkError(error)}`,
          0,
          'NETWORK',
          !timedOut && code !== undefined && NOT_SENT.has(code),
        );
      }
      const text = await response.text();
      if (response.ok) return text ? JSON.parse(text) : {};
      const parsed = safeJson(text) as { error_code?: string; message?: string } | undefined;
      throw new MlflowError(
        `${method} ${url.pathname}: HTTP ${response.status} ${parsed?.error_code ?? ''} ${parsed?.message ?? text.slice(0, 200)}`.trim(),
        response.status,
        parsed?.error_code ?? `HTTP_${response.status}`,
        // 429: the server turned the request away before acting on it.
        response.status === 429,
      );
    };
    return retry(attempt, {
      attempts: this.retries + 1,
      delayMs: this.backoffMs,
      maxDelayMs: 8000,
      jitter: 0.25,
      retryable: (error) =>
        error instanceof MlflowError && error.transient && (idempotent || error.notReceived),
    });
  }

  private api<T>(method: 'GET' | 'POST', endpoint: string, body?: Record<string, unknown>): Promise<T> {
    const path = `/api/2.0/mlflow/${endpoint}`;
    if (method === 'GET')
      return this.fetch('GET', path, undefined, body as Record<string, string>) as Promise<T>;
    return this.fetch('POST', path, body ?? {}) as Promise<T>;
  }

  async health(): Promise<boolean> {
    try {
      const response = await fetch(`${this.base}/health`, { signal: AbortSignal.timeout(this.timeoutMs) });
      return response.ok;
    } catch {
      return false;
    }
  }

  async getExperimentByName(name: string): Promise<{ experiment_id: string; name: string } | null> {
    try {
      const r = await this.api<{ experiment: { experiment_id: string; name: string } }>(
        'GET',
        'experiments/get-by-name',
        {
          experiment_name: name,
        },
      );
      return r.experiment;
    } catch (error) {
      if (error instanceof MlflowError && error.code === 'RESOURCE_DOES_NOT_EXIST') return null;
      throw error;
    }
  }

  /** Experiment id by name, creating it when missing (tolerates a concurrent create). */
  async ensureExperiment(name: string): Promise<string> {
    const found = await this.getExperimentByName(name);
    if (found) return found.experiment_id;
    try {
      const r = await this.api<{ experiment_id: string }>('POST', 'experiments/create', { name });
      return r.experiment_id;
    } catch (error) {
      if (error instanceof MlflowError && error.code === 'RESOURCE_ALREADY_EXISTS') {
        const again = await this.getExperimentByName(name);
        if (again) return again.experiment_id;
      }
      throw error;
    }
  }

  async searchRuns(experimentIds: string[], filter: string, maxResults = 100): Promise<MlflowRun[]> {
    const r = await this.api<{ runs?: MlflowRun[] }>('POST', 'runs/search', {
      experiment_ids: experimentIds,
      filter,
      max_results: maxResults,
    });
    return r.runs ?? [];
  }

  async createRun(init: {
    experimentId: string;
    runName: string;
    startTime: number;
    tags: MlflowTag[];
  }): Promise<MlflowRun> {
    const r = await this.api<{ run: MlflowRun }>('POST', 'runs/create', {
      experiment_id: init.experimentId,
      run_name: init.runName,
      start_time: init.startTime,
      tags: init.tags,
    });
    return r.run;
  }

  async updateRun(runId: string, status: string, endTime?: number): Promise<void> {
    await this.api('POST', 'runs/update', {
      run_id: runId,
      status,
      ...(endTime ? { end_time: endTime } : {}),
    });
  }

  async getRun(runId: string): Promise<MlflowRun> {
    return (await this.api<{ run: MlflowRun }>('GET', 'runs/get', { run_id: runId })).run;
  }

  /** Caller keeps within MLflow's limits (1000 metrics, 100 params, 100 tags, 1000 in all). */
  async logBatch(
    runId: string,
    batch: { metrics?: MlflowMetric[]; params?: MlflowTag[]; tags?: MlflowTag[] },
  ): Promise<void> {
    await this.api('POST', 'runs/log-batch', { run_id: runId, ...batch });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.api('POST', 'runs/set-tag', { run_id: runId, key, value });
  }

  async getMetricHistory(runId: string, key: string): Promise<MlflowMetric[]> {
    const all: MlflowMetric[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.api<{ metrics?: MlflowMetric[]; next_page_token?: string }>(
        'GET',
        'metrics/get-history',
        {
          run_id: runId,
          metric_key: key,
          max_results: '25000',
          ...(pageToken ? { page_token: pageToken } : {}),
        },
      );
      all.push(...(r.metrics ?? []));
      pageToken = r.next_page_token;
    } while (pageToken);
    return all;
  }

  async listArtifacts(
    runId: string,
    path?: string,
  ): Promise<{ path: string; is_dir?: boolean; file_size?: number }[]> {
    const r = await this.api<{ files?: { path: string; is_dir?: boolean; file_size?: number }[] }>(
      'GET',
      'artifacts/list',
      {
        run_id: runId,
        ...(path ? { path } : {}),
      },
    );
    return r.files ?? [];
  }

  /** Path (below the server root) of a run artefact on the server's artefact proxy. */
  artifactProxyPath(artifactUri: string, relPath: string): string {
    const root = proxiedArtifactRoot(artifactUri);
    const segments = [...root.split('/'), ...relPath.split('/')].filter(Boolean).map(encodeURIComponent);
    return `/api/2.0/mlflow-artifacts/artifacts/${segments.join('/')}`;
  }

  async uploadArtifact(artifactUri: string, relPath: string, bytes: Uint8Array): Promise<void> {
    await this.fetch('PUT', this.artifactProxyPath(artifactUri, relPath), bytes);
  }

  async downloadArtifact(artifactUri: string, relPath: string): Promise<Uint8Array> {
    const response = await fetch(this.base + this.artifactProxyPath(artifactUri, relPath), {
      headers: this.headers,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok)
      throw new MlflowError(`GET artefact ${relPath}: HTTP ${response.status}`, response.status, 'HTTP');
    return new Uint8Array(await response.arrayBuffer());
  }

  /** Creates the registered model; an existing one is fine. */
  async ensureRegisteredModel(name: string): Promise<void> {
    try {
      await this.api('POST', 'registered-models/create', { name });
    } catch (error) {
      if (!(error instanceof MlflowError && error.code === 'RESOURCE_ALREADY_EXISTS')) throw error;
    }
  }

  async searchModelVersions(filter: string): Promise<MlflowModelVersion[]> {
    const r = await this.api<{ model_versions?: MlflowModelVersion[] }>('GET', 'model-versions/search', {
      filter,
      max_results: '1000',
    });
    return r.model_versions ?? [];
  }

  async createModelVersion(init: {
    name: string;
    source: string;
    runId: string;
    tags: MlflowTag[];
  }): Promise<MlflowModelVersion> {
    const r = await this.api<{ model_version: MlflowModelVersion }>('POST', 'model-versions/create', {
      name: init.name,
      source: init.source,
      run_id: init.runId,
      tags: init.tags,
    });
    return r.model_version;
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.api('POST', 'registered-models/alias', { name, alias, version });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<MlflowModelVersion> {
    return (
      await this.api<{ model_version: MlflowModelVersion }>('GET', 'registered-models/alias', { name, alias })
    ).model_version;
  }
}

/**
 * The artefact proxy path of a run's artefact root. `mlflow-artifacts:/1/<run>/artifacts` (or with a
 * netloc, or an http(s) URL through `/api/2.0/mlflow-artifacts/artifacts/`) → `1/<run>/artifacts`;
 * the same rule as MLflow's `_get_proxied_run_artifact_destination_path`.
 */
export function proxiedArtifactRoot(artifactUri: string): string {
  const anchor = '/api/2.0/mlflow-artifacts/artifacts/';
  if (artifactUri.startsWith('mlflow-artifacts:')) {
    const rest = artifactUri.slice('mlflow-artifacts:'.length);
    const path = rest.startsWith('//') ? rest.slice(2).replace(/^[^/]*/, '') : rest;
    return path.replace(/^\/+/, '');
  }
  if (/^https?:/.test(artifactUri) && artifactUri.includes(anchor)) {
    return new URL(artifactUri).pathname.split(anchor)[1]!.replace(/^\/+/, '');
  }
  throw new MlflowError(
    `the run's artefact root ${artifactUri} is not served through the MLflow artefact proxy; start the server with --artifacts-destination (or --serve-artifacts)`,
    400,
    'ARTIFACTS_NOT_PROXIED',
  );
}

function authHeadersFromEnv(): Record<string, string> {
  const token = process.env.MLFLOW_TRACKING_TOKEN;
  if (token) return { Authorization: `Bearer ${token}` };
  const user = process.env.MLFLOW_TRACKING_USERNAME;
  const password = process.env.MLFLOW_TRACKING_PASSWORD;
  if (user && password)
    return { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
  return {};
}

function networkErrorCode(error: unknown): string | undefined {
  return (error as { cause?: { code?: string } }).cause?.code;
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
