import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { ApiError, badRequest } from '../errors.js';
import { type InferenceResult, inferImage, roundMs } from '../infer.js';
import { readPredictInput, type UploadedImage } from '../input.js';
import type { ServingModel } from '../model.js';
import { errorResponses } from '../schemas.js';

const topKQuery = {
  type: 'object',
  properties: {
    topK: {
      type: 'integer',
      minimum: 1,
      description: 'How many predictions to return (1..classes); default serve.topK.',
    },
  },
  additionalProperties: false,
} as const;

const jsonImage = {
  type: 'string',
  contentEncoding: 'base64',
  description: 'The photo file, base64 (a data: URL works too).',
} as const;

/** Multipart bodies are read as streams by the handler (with byte limits), so their schemas only document. */
export const MULTIPART_DOCS: Record<string, object> = {
  '/v1/predict': {
    type: 'object',
    required: ['image'],
    properties: {
      image: {
        type: 'string',
        format: 'binary',
        description: 'The photo (JPEG, PNG, WebP, GIF, TIFF, AVIF).',
      },
      topK: { type: 'integer', minimum: 1 },
    },
  },
  '/v1/predict/batch': {
    type: 'object',
    required: ['image'],
    properties: {
      image: {
        type: 'array',
        items: { type: 'string', format: 'binary' },
        description: 'One field per photo (repeat the field).',
      },
      topK: { type: 'integer', minimum: 1 },
    },
  },
};

export const RAW_IMAGE_DOC = {
  type: 'string',
  format: 'binary',
  description: 'The photo as the raw request body.',
} as const;

/** Adds the multipart and raw-image bodies to a route's OpenAPI entry (validation stays JSON-only). */
function documentUploads({ schema, url }: { schema: unknown; url: string }) {
  const s = schema as { body?: { content?: Record<string, unknown> } };
  const content = {
    'multipart/form-data': { schema: MULTIPART_DOCS[url] },
    ...s.body?.content,
    ...(url === '/v1/predict' ? { 'image/*': { schema: RAW_IMAGE_DOC } } : {}),
  };
  return { schema: { ...s, body: { content } }, url };
}

export function predictRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { settings } = ctx;
  const jsonBodyLimit = Math.ceil((settings.maxUploadBytes * 4) / 3) + 64 * 1024;

  app.post<{ Querystring: { topK?: number } }>(
    '/v1/predict',
    {
      bodyLimit: jsonBodyLimit,
      config: { swaggerTransform: documentUploads },
      schema: {
        summary: 'Identify the plant in one photo',
        description:
          'Send the photo as multipart field `image`, as JSON `{ "image": "<base64>" }`, or as the raw body with an image Content-Type. ' +
          'Returns the top-k species with calibrated confidences and a prediction id for feedback.',
        tags: ['predict'],
        querystring: topKQuery,
        body: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['image'],
                properties: { image: jsonImage, topK: { type: 'integer', minimum: 1 } },
              },
            },
          },
        },
        response: { 200: { $ref: 'PredictResponse#' }, ...errorResponses(400, 413, 415, 429, 503) },
      },
    },
    async (request) => {
      const started = performance.now();
      const model = ctx.holder.acquire();
      try {
        const input = await readPredictInput(
          request,
          { maxBytes: settings.maxUploadBytes, maxImages: 1 },
          false,
        );
        const k = resolveTopK(request.query.topK ?? input.topK, model, settings.topK);
        const image = input.images[0]!;
        const result = await inferImage(model, image.bytes, { ...limits(ctx), topK: k, field: image.field });
        return respond(ctx, request, model, image, result, started);
      } finally {
        model.release();
      }
    },
  );

  app.post<{ Querystring: { topK?: number } }>(
    '/v1/predict/batch',
    {
      bodyLimit: jsonBodyLimit * settings.maxBatchImages,
      config: { swaggerTransform: documentUploads },
      schema: {
        summary: 'Identify the plants in several photos',
        description:
          `Up to serve.maxBatchImages (${settings.maxBatchImages}) photos: repeat multipart field \`image\`, or JSON \`{ "images": ["<base64>", ...] }\`. ` +
          'Each photo gets its own result in input order; a bad photo gets an `error` (the same one /v1/predict would answer) without failing the others.',
        tags: ['predict'],
        querystring: topKQuery,
        body: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['images'],
                properties: {
                  images: { type: 'array', minItems: 1, maxItems: settings.maxBatchImages, items: jsonImage },
                  topK: { type: 'integer', minimum: 1 },
                },
              },
            },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              model: { $ref: 'ModelRef#' },
              results: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    index: { type: 'integer' },
                    filename: { type: 'string' },
                    id: { type: 'string' },
                    predictions: { type: 'array', items: { $ref: 'Prediction#' } },
                    timings: { $ref: 'Timings#' },
                    error: { $ref: 'Error#' },
                  },
                  required: ['index'],
                },
              },
            },
            required: ['model', 'results'],
          },
          ...errorResponses(400, 413, 415, 429, 503),
        },
      },
    },
    async (request) => {
      const started = performance.now();
      const model = ctx.holder.acquire();
      try {
        const input = await readPredictInput(
          request,
          { maxBytes: settings.maxUploadBytes, maxImages: settings.maxBatchImages },
          true,
        );
        const k = resolveTopK(request.query.topK ?? input.topK, model, settings.topK);
        const results = await Promise.all(
          input.images.map(async (image, index) => {
            try {
              const result = await inferImage(model, image.bytes, {
                ...limits(ctx),
                topK: k,
                field: image.field,
              });
              return {
                index,
                filename: image.filename,
                ...respond(ctx, request, model, image, result, started),
              };
            } catch (error) {
              if (!(error instanceof ApiError) || error.statusCode >= 500) throw error;
              return { index, filename: image.filename, error: errorBody(error) };
            }
          }),
        );
        return { model: model.summary, results };
      } finally {
        model.release();
      }
    },
  );
}

function limits(ctx: ApiContext) {
  return { maxBytes: ctx.settings.maxUploadBytes, maxPixels: ctx.settings.maxPixels };
}

function resolveTopK(requested: number | undefined, model: ServingModel, fallback: number): number {
  const classes = model.labels.length;
  if (requested === undefined) return Math.min(fallback, classes);
  if (!Number.isInteger(requested) || requested < 1 || requested > classes) {
    throw badRequest(
      'TOPK_OUT_OF_RANGE',
      `topK must be between 1 and ${classes} (the model has ${classes} classes), got ${requested}`,
    );
  }
  return requested;
}

function respond(
  ctx: ApiContext,
  request: FastifyRequest,
  model: ServingModel,
  image: UploadedImage,
  result: InferenceResult,
  started: number,
) {
  const id = randomUUID();
  const top1 = result.predictions[0]!;
  const totalMs = performance.now() - started;
  ctx.memory.remember({
    id,
    time: new Date().toISOString(),
    model: model.summary,
    labelIds: model.labelIds,
    top1: { label: top1.label, confidence: top1.confidence },
    inputSha256: result.inputSha256,
    format: result.format,
    bytes: image.bytes,
  });
  ctx.metrics.predictions.inc({ label: top1.label });
  ctx.metrics.decode.observe(result.timings.decodeMs / 1000);
  // The request log: one line per prediction, never the image bytes.
  request.log.info(
    {
      event: 'prediction',
      predictionId: id,
      inputSha256: result.inputSha256,
      top1: { label: top1.label, confidence: top1.confidence },
      latencyMs: roundMs(totalMs),
      model: model.summary,
      batchSize: result.batchSize,
    },
    'prediction',
  );
  return {
    id,
    model: model.summary,
    predictions: result.predictions,
    timings: {
      decodeMs: roundMs(result.timings.decodeMs),
      queueMs: roundMs(result.timings.queueMs),
      inferMs: roundMs(result.timings.inferMs),
      totalMs: roundMs(totalMs),
    },
  };
}

export function errorBody(error: ApiError) {
  return {
    statusCode: error.statusCode,
    code: error.code,
    error: STATUS_CODES[error.statusCode] ?? 'Error',
    message: error.message,
  };
}
