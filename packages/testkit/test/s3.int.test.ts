import { existsSync } from 'node:fs';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { processGroupMembers, startS3 } from '../src/index.js';

describe('startS3', () => {
  it('serves the S3 API the pipeline relies on, refuses wrong credentials, stops with no process left', async () => {
    const s3 = await startS3({ bucket: 'runs' });
    const client = s3.client();
    const Bucket = s3.bucket;
    try {
      // Atomic write: conditional put refuses to overwrite, then copy from a temporary key.
      await client.send(new PutObjectCommand({ Bucket, Key: 'tmp/a', Body: 'one' }));
      await expect(
        client.send(new PutObjectCommand({ Bucket, Key: 'tmp/a', Body: 'two', IfNoneMatch: '*' })),
      ).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
      await client.send(new CopyObjectCommand({ Bucket, Key: 'final/a', CopySource: `${Bucket}/tmp/a` }));
      const copied = await client.send(new GetObjectCommand({ Bucket, Key: 'final/a' }));
      expect(await copied.Body?.transformToString()).toBe('one');

      // Multipart upload (parts of at least 5 MiB but the last).
      const Key = 'big.bin';
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
      const sizes = [5 * 1024 * 1024, 1000];
      const Parts = [];
      for (const [i, size] of sizes.entries()) {
        const part = { Bucket, Key, UploadId, PartNumber: i + 1, Body: new Uint8Array(size).fill(i + 1) };
        Parts.push({ ETag: (await client.send(new UploadPartCommand(part))).ETag, PartNumber: i + 1 });
      }
      await client.send(
        new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } }),
      );
      const big = await client.send(new GetObjectCommand({ Bucket, Key }));
      expect(big.ContentLength).toBe(5 * 1024 * 1024 + 1000);

      // Paginated listing.
      for (let i = 0; i < 12; i++) {
        await client.send(
          new PutObjectCommand({ Bucket, Key: `photos/${String(i).padStart(2, '0')}.jpg`, Body: 'x' }),
        );
      }
      const pages: number[] = [];
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket, Prefix: 'photos/', MaxKeys: 5, ContinuationToken }),
        );
        pages.push(page.KeyCount ?? 0);
        ContinuationToken = page.NextContinuationToken;
      } while (ContinuationToken);
      expect(pages).toEqual([5, 5, 2]);

      const intruder = new S3Client({
        endpoint: s3.endpoint,
        region: s3.region,
        forcePathStyle: true,
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: 'wrong' },
      });
      await expect(intruder.send(new ListObjectsV2Command({ Bucket }))).rejects.toMatchObject({
        name: 'SignatureDoesNotMatch',
      });
      expect(s3.env).toMatchObject({ AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ACCESS_KEY_ID: s3.accessKeyId });
    } finally {
      await s3.stop();
    }
    expect(processGroupMembers(s3.pid)).toEqual([]);
    expect(existsSync(s3.dir)).toBe(false);
  });
});
