import { isAbsolute, resolve } from 'node:path';

/** `s3://bucket/prefix`: where object storage is named in a config, a flag or a manifest. */
export interface S3Location {
  bucket: string;
  /** Key prefix without a leading slash; '' for the bucket's root, else ends without '/'. */
  prefix: string;
}

export function isS3Uri(value: string): boolean {
  return /^s3:\/\//i.test(value);
}

/** Splits `s3://bucket/some/prefix/` into bucket and prefix (trailing slashes dropped). */
export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(uri);
  if (!match?.[1]) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: match[1], prefix: match[2]!.replace(/\/+$/, '') };
}

export function s3Uri(bucket: string, key: string): string {
  return key ? `s3://${bucket}/${key}` : `s3://${bucket}`;
}

/**
 * `base` joined with a relative, `/`-separated path: a URI gets `/` joins, a local folder
 * `path.resolve` (so `..` means what it does on disk).
 */
export function joinLocation(base: string, path: string): string {
  if (isS3Uri(base)) {
    const { bucket, prefix } = parseS3Uri(base);
    const rest = path.replace(/^\/+/, '');
    return s3Uri(bucket, prefix ? (rest ? `${prefix}/${rest}` : prefix) : rest);
  }
  return isAbsolute(path) ? path : resolve(base, path);
}
