import { z } from 'zod';

export const storageSchema = z
  .strictObject({
    s3: z
      .strictObject({
        endpoint: z
          .string()
          .min(1)
          .optional()
          .describe(
            'S3 endpoint for s3:// paths (MinIO, SeaweedFS: http://host:port); default AWS_ENDPOINT_URL_S3, else AWS.',
          ),
        region: z.string().min(1).optional().describe('Region; default AWS_REGION, else us-east-1.'),
        forcePathStyle: z
          .boolean()
          .optional()
          .describe('Path-style addressing (endpoint/bucket/key); default: on when an endpoint is set.'),
      })
      .prefault({})
      .describe(
        'Where s3:// paths are (data.root, data.sources[].root, export.registry; pipeline run mirrors them in the cache); credentials come from the standard AWS_* variables or profile.',
      ),
    cacheDir: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Local cache of downloaded objects, keyed by ETag; default PLANTID_CACHE_DIR, else ~/.cache/plantid.',
      ),
  })
  .prefault({});
