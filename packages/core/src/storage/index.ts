export { LocalStorage } from './local.js';
export { pullTree, pushTree } from './mirror.js';
export { openStorage } from './open.js';
export { explainS3Error, S3Storage } from './s3.js';
export {
  configureStorage,
  resolveS3Settings,
  type S3Settings,
  type StorageSettings,
  storageCacheDir,
  storageSettings,
} from './settings.js';
export { AlreadyExistsError, type Storage, type StoredObject, type WriteOptions } from './types.js';
export { isS3Uri, joinLocation, parseS3Uri, type S3Location, s3Uri } from './uri.js';
