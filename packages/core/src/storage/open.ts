import { LocalStorage } from './local.js';
import { S3Storage } from './s3.js';
import { type StorageSettings, storageSettings } from './settings.js';
import type { Storage } from './types.js';
import { isS3Uri } from './uri.js';

/**
 * The storage at `location`: `s3://bucket/prefix` or a local folder (already resolved, as
 * `resolvePath` gives it). Settings default to the process's (`configureStorage`).
 */
export function openStorage(location: string, settings: StorageSettings = storageSettings()): Storage {
  return isS3Uri(location) ? new S3Storage(location, settings) : new LocalStorage(location);
}
