import { z } from 'zod';
import { positiveInt, positiveNumber } from './common.js';

export const serveSchema = z
  .strictObject({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
    bundle: z.string().optional().describe('Bundle path or registry name@alias.'),
    topK: positiveInt.default(3),
    maxUploadMB: positiveNumber.default(10),
    maxPixels: positiveInt.default(40_000_000).describe('Decoded images above this many pixels are refused.'),
    cors: z.array(z.string()).default([]).describe('Allowed CORS origins; empty = CORS off.'),
    adminToken: z.string().optional().describe('Bearer token for /v1/admin routes.'),
    feedbackDir: z.string().default('feedback'),
    batching: z.strictObject({ maxBatch: positiveInt.default(16), maxWaitMs: z.number().nonnegative().default(2) }).prefault({}),
  })
  .prefault({});
