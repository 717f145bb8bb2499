import type { Readable } from 'node:stream';

/** One file (object) below a storage root. */
export interface StoredObject {
  /** Relative to the storage root, `/`-separated. */
  path: string;
  size: number;
  /** S3 ETag (quotes removed), or size + mtime on disk: changes when the content does. */
  etag: string;
  modifiedMs: number;
}

export interface WriteOptions {
  /** Fail with `AlreadyExistsError` instead of replacing an existing file (S3: `If-None-Match: *`). */
  ifAbsent?: boolean;
}

/**
 * A folder on disk or a prefix in an S3 bucket, with the few operations the pipeline needs.
 * Paths are relative to the root and `/`-separated. Every write is atomic: a reader sees the
 * old content or the new, never part of it (disk: temp file + rename; S3: one PUT is atomic).
 */
export interface Storage {
  /** The root as the user wrote it, resolved: a folder path or `s3://bucket/prefix`. */
  readonly root: string;
  readonly kind: 'local' | 's3';
  /** The location of `path` below the root (a file path or an s3:// URI). */
  locate(path: string): string;
  /** Every file below `prefix` (default: all), sorted by path; S3 listing is paginated. */
  list(prefix?: string): Promise<StoredObject[]>;
  /** One file's facts, or null when there is none. */
  stat(path: string): Promise<StoredObject | null>;
  read(path: string): Promise<Buffer>;
  /** The file as a stream (S3: streamed from the response body, not buffered). */
  readStream(path: string): Promise<Readable>;
  write(path: string, data: string | Uint8Array, options?: WriteOptions): Promise<void>;
  /** Streams a local file up (S3: multipart for large files). */
  upload(localFile: string, path: string, options?: WriteOptions): Promise<void>;
  /** A local file with this file's content: the file itself on disk, a cached download (by ETag) for S3. */
  localCopy(path: string, known?: StoredObject): Promise<string>;
  delete(path: string): Promise<void>;
  /** Cheap check that the root can be listed; throws a UsageError naming the URI and the fix. */
  check(): Promise<void>;
}

/** `write(..., { ifAbsent: true })` found a file there. */
export class AlreadyExistsError extends Error {
  constructor(readonly location: string) {
    super(`${location} already exists`);
    this.name = 'AlreadyExistsError';
  }
}
