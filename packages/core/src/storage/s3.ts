import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { UsageError, WorkError } from '../errors.js';
import { sha256 } from '../hash.js';
import { resolveS3Settings, type StorageSettings, storageCacheDir } from './settings.js';
import { AlreadyExistsError, type Storage, type StoredObject, type WriteOptions } from './types.js';
import { parseS3Uri, s3Uri } from './uri.js';

type Sdk = typeof import('@aws-sdk/client-s3');

let sdk: Promise<Sdk> | undefined;
/** Loaded on first use: runs that touch no bucket don't pay for the SDK. */
const loadSdk = () => {
  sdk ??= import('@aws-sdk/client-s3');
  return sdk;
};

const clients = new Map<string, S3Client>();

async function clientFor(settings: StorageSettings): Promise<S3Client> {
  const s3 = resolveS3Settings(settings.s3);
  const credentials = settings.s3?.credentials;
  // Keyed by what the client is made from, the environment's credentials included (a hash of
  // them: a changed secret must not reuse a client signed with the old one).
  const env = process.env;
  const fromEnv = sha256(`${env.AWS_ACCESS_KEY_ID}\0${env.AWS_SECRET_ACCESS_KEY}\0${env.AWS_PROFILE}`);
  const key = JSON.stringify([s3, credentials ? sha256(JSON.stringify(credentials)) : fromEnv]);
  let client = clients.get(key);
  if (!client) {
    const { S3Client } = await loadSdk();
    client = new S3Client({
      region: s3.region,
      forcePathStyle: s3.forcePathStyle,
      ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
      ...(credentials ? { credentials } : {}),
    });
    clients.set(key, client);
  }
  return client;
}

interface SdkError {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const statusOf = (error: unknown) => (error as SdkError).$metadata?.httpStatusCode;
const nameOf = (error: unknown) => (error as SdkError).name ?? (error as SdkError).Code ?? '';
const isMissing = (error: unknown) =>
  statusOf(error) === 404 || ['NoSuchKey', 'NotFound'].includes(nameOf(error));

/**
 * What an S3 failure means for the user, as one line naming the URI and the fix: a missing
 * bucket, refused credentials and an unreachable endpoint are usage errors (exit 2).
 */
export function explainS3Error(error: unknown, uri: string): Error {
  const name = nameOf(error);
  const status = statusOf(error);
  const code = (error as SdkError).code ?? (error as { cause?: SdkError }).cause?.code;
  if (name === 'NoSuchBucket')
    return new UsageError(`bucket "${parseS3Uri(uri).bucket}" does not exist`, {
      where: uri,
      hint: 'create the bucket or fix the URI (s3://bucket/prefix)',
      cause: error,
    });
  if (
    ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'InvalidToken', 'ExpiredToken'].includes(
      name,
    ) ||
    status === 403
  )
    return new UsageError(`access refused (${name || status})`, {
      where: uri,
      hint: 'check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the profile) and that they may read and write this bucket',
      cause: error,
    });
  if (name === 'CredentialsProviderError')
    return new UsageError('no S3 credentials found', {
      where: uri,
      hint: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE',
      cause: error,
    });
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || name === 'TimeoutError')
    return new UsageError(`cannot reach the S3 endpoint (${code ?? name})`, {
      where: uri,
      hint: 'check storage.s3.endpoint or AWS_ENDPOINT_URL_S3, and the network',
      cause: error,
    });
  return new WorkError(`S3 request failed: ${name || status || (error as Error).message}`, {
    where: uri,
    cause: error,
  });
}

const unquote = (etag: string | undefined) => (etag ?? '').replace(/"/g, '');

/** A prefix of an S3 bucket behind the `Storage` interface (AWS SDK v3). */
export class S3Storage implements Storage {
  readonly kind = 's3';
  readonly bucket: string;
  readonly prefix: string;

  constructor(
    readonly root: string,
    private readonly settings: StorageSettings,
  ) {
    const { bucket, prefix } = parseS3Uri(root);
    this.bucket = bucket;
    this.prefix = prefix;
  }

  private key(path: string): string {
    const rest = path.replace(/^\/+/, '');
    return this.prefix ? (rest ? `${this.prefix}/${rest}` : this.prefix) : rest;
  }

  locate(path: string): string {
    return s3Uri(this.bucket, this.key(path));
  }

  private async send<T>(call: (client: S3Client, sdk: Sdk) => Promise<T>): Promise<T> {
    return call(await clientFor(this.settings), await loadSdk());
  }

  async list(prefix = ''): Promise<StoredObject[]> {
    const client = await clientFor(this.settings);
    const { paginateListObjectsV2 } = await loadSdk();
    const base = this.key(prefix);
    const from = this.prefix ? `${this.prefix}/` : '';
    const out: StoredObject[] = [];
    try {
      for await (const page of paginateListObjectsV2(
        { client, pageSize: 1000 },
        { Bucket: this.bucket, Prefix: base ? `${base}/` : '' },
      )) {
        for (const o of page.Contents ?? []) {
          if (!o.Key || o.Key.endsWith('/')) continue;
          out.push({
            path: o.Key.slice(from.length),
            size: o.Size ?? 0,
            etag: unquote(o.ETag),
            modifiedMs: o.LastModified?.getTime() ?? 0,
          });
        }
      }
    } catch (error) {
      throw explainS3Error(error, this.locate(prefix));
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async stat(path: string): Promise<StoredObject | null> {
    try {
      const head = await this.send((c, s) =>
        c.send(new s.HeadObjectCommand({ Bucket: this.bucket, Key: this.key(path) })),
      );
      return {
        path,
        size: head.ContentLength ?? 0,
        etag: unquote(head.ETag),
        modifiedMs: head.LastModified?.getTime() ?? 0,
      };
    } catch (error) {
      if (isMissing(error)) return null;
      throw explainS3Error(error, this.locate(path));
    }
  }

  async readStream(path: string): Promise<Readable> {
    try {
      const got = await this.send((c, s) =>
        c.send(new s.GetObjectCommand({ Bucket: this.bucket, Key: this.key(path) })),
      );
      return got.Body as Readable;
    } catch (error) {
      if (isMissing(error)) throw new WorkError('no such object', { where: this.locate(path), cause: error });
      throw explainS3Error(error, this.locate(path));
    }
  }

  async read(path: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.readStream(path)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  private async put(path: string, body: Uint8Array | Readable, length: number, options: WriteOptions) {
    try {
      await this.send((c, s) =>
        c.send(
          new s.PutObjectCommand({
            Bucket: this.bucket,
            Key: this.key(path),
            Body: body,
            ContentLength: length,
            ...(options.ifAbsent ? { IfNoneMatch: '*' } : {}),
          }),
        ),
      );
    } catch (error) {
      if (statusOf(error) === 412 || nameOf(error) === 'PreconditionFailed')
        throw new AlreadyExistsError(this.locate(path));
      throw explainS3Error(error, this.locate(path));
    }
  }

  write(path: string, data: string | Uint8Array, options: WriteOptions = {}): Promise<void> {
    const body = typeof data === 'string' ? Buffer.from(data) : data;
    return this.put(path, body, body.byteLength, options);
  }

  async upload(localFile: string, path: string, options: WriteOptions = {}): Promise<void> {
    const { size } = await stat(localFile);
    await this.put(path, createReadStream(localFile), size, options);
  }

  /**
   * Downloads the object once into the local cache, under a name made of its key and ETag: a
   * changed object is fetched again, an unchanged one never (download into a temp file + rename).
   */
  async localCopy(path: string, known?: StoredObject): Promise<string> {
    const facts = known ?? (await this.stat(path));
    if (!facts) throw new WorkError('no such object', { where: this.locate(path) });
    const keyHash = sha256(`${this.bucket}/${this.key(path)}`);
    const file = join(
      storageCacheDir(this.settings),
      's3',
      this.bucket,
      keyHash.slice(0, 2),
      `${keyHash.slice(2, 24)}-${facts.etag.replace(/[^a-z0-9-]/gi, '')}${extname(path).toLowerCase()}`,
    );
    if (
      await stat(file).then(
        (s) => s.size === facts.size,
        () => false,
      )
    )
      return file;
    await mkdir(dirname(file), { recursive: true });
    const temp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      await pipeline(await this.readStream(path), createWriteStream(temp));
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return file;
  }

  async delete(path: string): Promise<void> {
    try {
      await this.send((c, s) =>
        c.send(new s.DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(path) })),
      );
    } catch (error) {
      throw explainS3Error(error, this.locate(path));
    }
  }

  async check(): Promise<void> {
    try {
      await this.send((c, s) =>
        c.send(new s.ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, MaxKeys: 1 })),
      );
    } catch (error) {
      throw explainS3Error(error, this.root);
    }
  }
}
