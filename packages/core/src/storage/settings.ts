import { homedir } from 'node:os';
import { join } from 'node:path';

/** How to reach S3: from config `storage.s3`, else the standard `AWS_*` variables. */
export interface S3Settings {
  /** e.g. `http://127.0.0.1:8333` for SeaweedFS or MinIO; default: AWS (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`). */
  endpoint?: string | undefined;
  /** Default `AWS_REGION`, `AWS_DEFAULT_REGION`, else us-east-1. */
  region?: string | undefined;
  /** Path-style addressing (`endpoint/bucket/key`); default: on when an endpoint is set (MinIO, SeaweedFS). */
  forcePathStyle?: boolean | undefined;
  /** Never from the config file: the SDK's own chain (AWS_ACCESS_KEY_ID, AWS_PROFILE, …) when unset. */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
}

export interface StorageSettings {
  s3?: S3Settings | undefined;
  /** Where downloaded objects are cached (by ETag); default `PLANTID_CACHE_DIR`, else ~/.cache/plantid. */
  cacheDir?: string | undefined;
}

let current: StorageSettings = {};

/**
 * Sets the storage settings of this process (the CLI calls it once with the config's `storage`
 * section); every `openStorage` after it uses them. One process, one config.
 */
export function configureStorage(settings: StorageSettings): void {
  current = { ...settings };
}

export function storageSettings(): StorageSettings {
  return current;
}

export function resolveS3Settings(
  settings: S3Settings = {},
  env = process.env,
): { endpoint: string | undefined; region: string; forcePathStyle: boolean } {
  const endpoint = settings.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const pathStyleEnv = env.AWS_S3_FORCE_PATH_STYLE;
  return {
    endpoint,
    region: settings.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    forcePathStyle:
      settings.forcePathStyle ??
      (pathStyleEnv !== undefined ? pathStyleEnv === 'true' || pathStyleEnv === '1' : endpoint !== undefined),
  };
}

export function storageCacheDir(settings: StorageSettings = current, env = process.env): string {
  return settings.cacheDir ?? env.PLANTID_CACHE_DIR ?? join(homedir(), '.cache', 'plantid');
}
