import { isAbsolute, resolve } from 'node:path';
import { configSchema, type PlantidConfig, UsageError } from '@plantid/core';
import type { EngineKind, OnnxVariant } from './model.js';

type ServeSection = PlantidConfig['serve'];
const serveSchema = configSchema.shape.serve;
const engineSchema = configSchema.shape.engine;

/** Everything the server needs, resolved from config.yaml, environment variables and flags. */
export interface ServeSettings {
  host: string;
  port: number;
  /** Bundle folder or registry `name@alias`. */
  bundle: string | undefined;
  /** Folder a relative bundle path is resolved against (where the user gave it). */
  bundleBaseDir: string;
  registryDir: string;
  engine: EngineKind;
  /** ONNX Runtime intra-op threads per session; 0 = auto (usable CPUs / inference workers). */
  threads: number;
  /** Inference worker threads; 0 = auto (one per usable CPU). */
  inferenceWorkers: number;
  /** `memory` or a `redis://` URL: where recent predictions and their photos wait for feedback. */
  store: string;
  variant: OnnxVariant;
  topK: number;
  maxUploadBytes: number;
  maxPixels: number;
  maxBatchImages: number;
  warmup: number;
  /** Run the engine in a worker thread (onnxruntime-node's run blocks its calling thread). */
  inferenceWorker: boolean;
  corsOrigins: string[];
  adminToken: string | undefined;
  feedbackDir: string;
  predictionMemory: { entries: number; maxBytes: number; ttlMs: number };
  rateLimit: { max: number; windowMs: number };
  trustProxy: boolean;
  batching: { maxBatch: number; maxWaitMs: number };
  /** Server-wide answer-status thresholds over the bundle's openset.json (unset = the bundle's). */
  openSet: { open?: number; confidence?: number };
}

/** Environment variable → serve (or engine/export) key, and how to read its text. */
export const SERVE_ENV_VARS = {
  PLANTID_HOST: { key: 'serve.host', parse: 'string' },
  PLANTID_PORT: { key: 'serve.port', parse: 'number' },
  PLANTID_BUNDLE: { key: 'serve.bundle', parse: 'string' },
  PLANTID_VARIANT: { key: 'serve.variant', parse: 'string' },
  PLANTID_TOP_K: { key: 'serve.topK', parse: 'number' },
  PLANTID_MAX_UPLOAD_MB: { key: 'serve.maxUploadMB', parse: 'number' },
  PLANTID_MAX_PIXELS: { key: 'serve.maxPixels', parse: 'number' },
  PLANTID_CORS_ORIGINS: { key: 'serve.cors', parse: 'list' },
  PLANTID_ADMIN_TOKEN: { key: 'serve.adminToken', parse: 'string' },
  PLANTID_FEEDBACK_DIR: { key: 'serve.feedbackDir', parse: 'string' },
  PLANTID_RATE_LIMIT: { key: 'serve.rateLimit.max', parse: 'number' },
  PLANTID_TRUST_PROXY: { key: 'serve.trustProxy', parse: 'boolean' },
  PLANTID_MAX_BATCH: { key: 'serve.batching.maxBatch', parse: 'number' },
  PLANTID_MAX_WAIT_MS: { key: 'serve.batching.maxWaitMs', parse: 'number' },
  PLANTID_INFERENCE_WORKER: { key: 'serve.inferenceWorker', parse: 'boolean' },
  PLANTID_MIN_CONFIDENCE: { key: 'serve.openSet.confidence', parse: 'number' },
  PLANTID_INFERENCE_WORKERS: { key: 'serve.inferenceWorkers', parse: 'number' },
  PLANTID_STORE: { key: 'serve.store', parse: 'string' },
  PLANTID_ENGINE: { key: 'engine.kind', parse: 'string' },
  PLANTID_THREADS: { key: 'engine.threads', parse: 'number' },
  PLANTID_REGISTRY: { key: 'export.registry', parse: 'string' },
} as const;

export interface SettingsSources {
  /** A loaded config.yaml (loadConfig); defaults when absent. */
  config?: Pick<PlantidConfig, 'serve' | 'engine' | 'export'>;
  /** Folder of config.yaml; paths inside it resolve against it. */
  configDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Command-line flags: they win over env and config. */
  flags?: { bundle?: string; host?: string; port?: number };
  /** Where the user ran the command (paths on the command line and in env vars resolve here). */
  cwd?: string;
}

/** Precedence: flags > environment > config.yaml > defaults. Bad values are UsageErrors naming the variable or key. */
export function resolveServeSettings(sources: SettingsSources = {}): ServeSettings {
  const cwd = sources.cwd ?? process.env.INIT_CWD ?? process.cwd();
  const configDir = sources.configDir ?? cwd;
  const env = sources.env ?? process.env;
  const serveInput: Record<string, unknown> = structuredClone(sources.config?.serve ?? {});
  const engineInput: Record<string, unknown> = structuredClone(sources.config?.engine ?? {});
  let registry = sources.config?.export.registry ?? 'models';
  let registryBase = configDir;
  let bundleBase = configDir;
  let feedbackBase = configDir;

  for (const [name, { key, parse }] of Object.entries(SERVE_ENV_VARS)) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    const value = parseEnvValue(name, text, parse);
    const [section, ...path] = key.split('.');
    if (section === 'export') {
      registry = value as string;
      registryBase = cwd;
      continue;
    }
    if (key === 'serve.bundle') bundleBase = cwd;
    if (key === 'serve.feedbackDir') feedbackBase = cwd;
    setPath(section === 'engine' ? engineInput : serveInput, path, value);
  }
  if (sources.flags?.bundle !== undefined) {
    serveInput.bundle = sources.flags.bundle;
    bundleBase = cwd;
  }
  if (sources.flags?.host !== undefined) serveInput.host = sources.flags.host;
  if (sources.flags?.port !== undefined) serveInput.port = sources.flags.port;

  const serve = validate(serveSchema, serveInput, 'serve', env) as ServeSection;
  const engine = validate(engineSchema, engineInput, 'engine', env) as PlantidConfig['engine'];
  const abs = (base: string, p: string) => (isAbsolute(p) ? p : resolve(base, p));
  return {
    host: serve.host,
    port: serve.port,
    bundle: serve.bundle,
    bundleBaseDir: bundleBase,
    registryDir: abs(registryBase, registry),
    engine: engine.kind,
    threads: engine.threads,
    inferenceWorkers: serve.inferenceWorkers,
    store: serve.store,
    variant: serve.variant,
    topK: serve.topK,
    maxUploadBytes: Math.round(serve.maxUploadMB * 1024 * 1024),
    maxPixels: serve.maxPixels,
    maxBatchImages: serve.maxBatchImages,
    warmup: serve.warmup,
    inferenceWorker: serve.inferenceWorker,
    corsOrigins: serve.cors,
    adminToken: serve.adminToken,
    feedbackDir: abs(feedbackBase, serve.feedbackDir),
    predictionMemory: {
      entries: serve.predictionMemory.entries,
      maxBytes: Math.round(serve.predictionMemory.maxMB * 1024 * 1024),
      ttlMs: serve.predictionMemory.minutes * 60_000,
    },
    rateLimit: { max: serve.rateLimit.max, windowMs: serve.rateLimit.windowSeconds * 1000 },
    trustProxy: serve.trustProxy,
    batching: { ...serve.batching },
    openSet: { ...serve.openSet },
  };
}

function parseEnvValue(name: string, text: string, parse: 'string' | 'number' | 'list' | 'boolean'): unknown {
  switch (parse) {
    case 'string':
      return text;
    case 'list':
      return text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    case 'boolean':
      if (text === 'true' || text === '1') return true;
      if (text === 'false' || text === '0') return false;
      throw new UsageError(`expected true or false, got ${JSON.stringify(text)}`, { where: name });
    case 'number': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) {
        throw new UsageError(`expected a number, got ${JSON.stringify(text)}`, { where: name });
      }
      return n;
    }
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next && typeof next === 'object') {
      node = next as Record<string, unknown>;
    } else {
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    }
  }
  node[path.at(-1)!] = value;
}

function validate(
  schema: typeof serveSchema | typeof engineSchema,
  input: unknown,
  section: string,
  env: NodeJS.ProcessEnv,
): unknown {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const key = [section, ...issue.path.map(String)].join('.');
  const fromEnv = Object.entries(SERVE_ENV_VARS).find(([name, v]) => v.key === key && env[name]);
  throw new UsageError(`${key}: ${issue.message}`, {
    where: fromEnv ? fromEnv[0] : 'config.yaml',
    hint: fromEnv ? `fix the environment variable ${fromEnv[0]}` : `fix ${key} in the config`,
  });
}
