import { z } from 'zod';
import { fraction, nonNegativeInt, positiveInt, positiveNumber } from './common.js';

export const serveSchema = z
  .strictObject({
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('Interface to listen on; 0.0.0.0 inside a container.'),
    port: z.number().int().min(0).max(65535).default(8080).describe('TCP port; 0 = any free port.'),
    bundle: z.string().optional().describe('Bundle path or registry name@alias (e.g. plantid@production).'),
    variant: z
      .enum(['fp32', 'fp16', 'int8'])
      .default('fp32')
      .describe('Which ONNX model of the bundle to run: fp32 (model.onnx), fp16 or int8.'),
    topK: positiveInt.default(3).describe('Predictions returned when a request does not ask for topK.'),
    maxUploadMB: positiveNumber
      .default(10)
      .describe('Largest image accepted, in MiB; bigger uploads get 413.'),
    maxPixels: positiveInt
      .default(40_000_000)
      .describe('Decoded images above this many pixels are refused (413).'),
    maxBatchImages: positiveInt.default(16).describe('Most images in one POST /v1/predict/batch request.'),
    inferenceWorker: z
      .boolean()
      .default(true)
      .describe('Run the model in a worker thread so inference never stalls request handling.'),
    inferenceWorkers: nonNegativeInt
      .default(0)
      .describe(
        'Inference worker threads (each its own ONNX Runtime session); 0 = one per usable CPU (cgroup quota and affinity).',
      ),
    store: z
      .string()
      .regex(/^(memory|rediss?:\/\/.+)$/, 'use memory or a redis:// URL')
      .default('memory')
      .describe(
        'Where recent predictions and their photos wait for feedback: memory (one server) or redis://host:port (replicas share it, so feedback reaches any of them; photos leave the server process).',
      ),
    warmup: nonNegativeInt
      .default(3)
      .describe('Inferences run on a blank image before the server reports ready.'),
    cors: z.array(z.string()).default([]).describe('Allowed CORS origins; empty = CORS off.'),
    adminToken: z
      .string()
      .min(16, 'use at least 16 characters')
      .optional()
      .describe('Bearer token for /v1/admin routes; unset = admin routes off.'),
    openSet: z
      .strictObject({
        open: z
          .number()
          .optional()
          .describe(
            "Overrides the bundle's not_recognized threshold (openset.json thresholds.open, in the score's units).",
          ),
        confidence: fraction
          .optional()
          .describe(
            "Overrides the bundle's identified threshold (top-1 confidence); a request's minConfidence overrides both.",
          ),
      })
      .prefault({})
      .describe(
        'Server-wide thresholds of the answer status; unset = the ones evaluate fitted into the bundle.',
      ),
    feedbackDir: z
      .string()
      .min(1)
      .default('feedback')
      .describe('Feedback store folder (feedback.jsonl + images/), relative to the config file.'),
    predictionMemory: z
      .strictObject({
        entries: positiveInt
          .default(1000)
          .describe('Recent predictions kept in memory so feedback can refer to them.'),
        minutes: positiveNumber.default(60).describe('How long a prediction stays open for feedback.'),
        maxMB: positiveNumber
          .default(256)
          .describe('Memory for the photos of those predictions; oldest dropped first.'),
      })
      .prefault({}),
    rateLimit: z
      .strictObject({
        max: nonNegativeInt
          .default(600)
          .describe('Requests per client IP per window on /v1 routes; 0 = no limit.'),
        windowSeconds: positiveInt.default(60),
      })
      .prefault({}),
    trustProxy: z
      .boolean()
      .default(false)
      .describe('Trust X-Forwarded-For (behind nginx or a load balancer).'),
    batching: z
      .strictObject({
        maxBatch: positiveInt
          .default(4)
          .describe(
            'Most images run in one inference call, per inference worker. ONNX Runtime keeps the memory of its largest batch: at c=32 the server peaked at 714 MB with 16, 477 MB with 4 (2 workers).',
          ),
        maxWaitMs: z
          .number()
          .nonnegative()
          .default(2)
          .describe('Longest an image waits for others to join its batch.'),
      })
      .prefault({}),
  })
  .prefault({});
