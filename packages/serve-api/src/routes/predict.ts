import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type AnswerOptions, answerFor } from '../answer.js';
import { BODY_ERRORS, errorBody, errorResponses, errors, isApiError } from '../errors.js';
import { type InferenceResult, inferImage, roundMs } from '../infer.js';
import { readPredictInput, type UploadedImage } from '../input.js';
import { observeAnswer } from '../metrics.js';
import type { ServingModel } from '../model.js';
import type { OpenApiOperation } from '../openapi.js';
import type { PlantidService } from '../service.js';
import { keepForFeedback } from './keep-for-feedback.js';

/**
 * topK as every request schema states it. The maximum is the loaded model's class count: the
 * handler checks against `model.labels.length` and the OpenAPI document is filled in from the
 * same model (`describeTopK`), so it changes with a reload.
 */
export const topKField = {
  type: 'integer',
  minimum: 1,
  description:
    'How many predictions to return: 1 to the number of classes of the loaded model; default serve.topK.',
} as const;

export const minConfidenceField = {
  type: 'number',
  minimum: 0,
  maximum: 1,
  description:
    'Top-1 confidence at or above which the answer is `identified` (else `uncertain`); default serve.openSet.confidence, else the threshold evaluate fitted into the bundle.',
} as const;

const langField = {
  type: 'string',
  pattern: '^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$',
  description:
    'Language of the display names (`en`, `vi`, `tl`, …) when the bundle has a taxonomy; English, then the scientific name, without one.',
} as const;

/** The query string of the predict routes. */
export const predictQuery = {
  type: 'object',
  properties: { topK: topKField, minConfidence: minConfidenceField, lang: langField },
  additionalProperties: false,
} as const;

export type PredictQuery = { topK?: number; minConfidence?: number; lang?: string };

export const jsonImage = {
  type: 'string',
  contentEncoding: 'base64',
  contentMediaType: 'image/*',
  description:
    'The photo file, base64 (a data: URL works too). It must decode to a JPEG, PNG, WebP, GIF, TIFF or AVIF: other bytes are answered with IMAGE_EMPTY, IMAGE_UNDECODABLE or IMAGE_UNSUPPORTED_TYPE.',
} as const;

export const photoFile = {
  type: 'string',
  format: 'binary',
  description: 'The photo (JPEG, PNG, WebP, GIF, TIFF, AVIF).',
} as const;

const RAW_IMAGE_DOC = {
  type: 'string',
  format: 'binary',
  description: 'The photo as the raw request body.',
} as const;

/**
 * The request bodies of one predict route, built from the number of photos it takes: Fastify
 * validates the JSON body with `json`; multipart bodies are streamed by the handler
 * (`readPredictInput`, with byte limits) under the same `photos` bounds, so `multipart` documents them.
 */
function requestBodies(photos: { max: number }) {
  const batch = photos.max > 1;
  const many = <T extends object>(items: T) => ({ type: 'array', minItems: 1, maxItems: photos.max, items });
  return {
    json: batch
      ? {
          type: 'object',
          required: ['images'],
          properties: { images: many(jsonImage), topK: topKField },
        }
      : { type: 'object', required: ['image'], properties: { image: jsonImage, topK: topKField } },
    multipart: {
      type: 'object',
      required: ['image'],
      additionalProperties: false,
      properties: {
        image: batch
          ? { ...many(photoFile), description: 'One field per photo (repeat the field).' }
          : photoFile,
        topK: topKField,
      },
    },
  };
}

/** Adds the multipart and raw-image bodies to a route's OpenAPI entry (validation stays JSON-only). */
export function documentUploads(multipart: object, rawImage: boolean) {
  return ({ schema, url }: { schema: unknown; url: string }) => {
    const s = schema as { body?: { content?: Record<string, unknown> } };
    const content = {
      'multipart/form-data': { schema: multipart },
      ...s.body?.content,
      ...(rawImage ? { 'image/*': { schema: RAW_IMAGE_DOC } } : {}),
    };
    return { schema: { ...s, body: { content } }, url };
  };
}

/** Writes the loaded model's class count as topK's maximum into the query parameter and every body. */
export function describeTopK(operation: OpenApiOperation, model: ServingModel): void {
  const classes = model.labels.length;
  for (const parameter of operation.parameters ?? [])
    if (parameter.name === 'topK' && parameter.schema) parameter.schema.maximum = classes;
  for (const media of Object.values(operation.requestBody?.content ?? {})) {
    const topK = media.schema?.properties?.topK;
    if (topK) topK.maximum = classes;
  }
}

export const PREDICT_ERRORS = [
  ...BODY_ERRORS,
  'IMAGE_MISSING',
  'IMAGE_EMPTY',
  'IMAGE_NOT_BASE64',
  'IMAGE_UNDECODABLE',
  'IMAGE_TOO_LARGE',
  'IMAGE_TOO_MANY_PIXELS',
  'IMAGE_UNSUPPORTED_TYPE',
  'TOPK_INVALID',
  'TOPK_OUT_OF_RANGE',
  'TOO_MANY_IMAGES',
  'TOO_MANY_PARTS',
  'MULTIPART_MALFORMED',
  'RATE_LIMITED',
  'MODEL_NOT_LOADED',
  'SHUTTING_DOWN',
] as const;

export function predictRoutes(app: FastifyInstance): void {
  const service = app.plantid;
  const { settings, holder } = service;
  const jsonBodyLimit = Math.ceil((settings.maxUploadBytes * 4) / 3) + 64 * 1024;
  const single = { max: 1 };
  const batch = { max: settings.maxBatchImages };
  const singleBodies = requestBodies(single);
  const batchBodies = requestBodies(batch);

  app.post<{ Querystring: PredictQuery }>(
    '/v1/predict',
    {
      bodyLimit: jsonBodyLimit,
      config: {
        swaggerTransform: documentUploads(singleBodies.multipart, true),
        describeModel: describeTopK,
      },
      links: {
        200: {
          sendFeedback: {
            operationId: 'sendFeedback',
            description:
              'Tell the model whether this prediction was right: its `id` is the feedback’s `predictionId`.',
            requestBody: {
              predictionId: '$response.body#/id',
              label: '$response.body#/predictions/0/label',
            },
          },
        },
      },
      schema: {
        operationId: 'predict',
        summary: 'Identify the plant in one photo',
        description:
          'Send the photo as multipart field `image`, as JSON `{ "image": "<base64>" }`, or as the raw body with an image Content-Type. ' +
          'Returns the answer `status` (identified, uncertain: a species is likely but not sure, not_recognized: probably none of the known species), ' +
          'its `rank` (species, or genus/family when only their summed probability is sure), the top-k species with calibrated confidences and names, and a prediction id for feedback.',
        tags: ['predict'],
        querystring: predictQuery,
        body: { content: { 'application/json': { schema: singleBodies.json } } },
        response: { 200: { $ref: 'PredictResponse#' }, ...errorResponses(...PREDICT_ERRORS) },
      },
    },
    async (request) => {
      const started = performance.now();
      const model = holder.acquire();
      try {
        const input = await readPredictInput(
          request,
          { maxBytes: settings.maxUploadBytes, maxImages: single.max },
          false,
        );
        const k = resolveTopK([request.query.topK, input.topK], model, settings.topK);
        const image = input.images[0]!;
        const result = await inferImage(model, image.bytes, {
          ...limits(service),
          topK: k,
          field: image.field,
        });
        return await respond(
          service,
          request,
          model,
          image,
          result,
          started,
          answerOptions(service, request.query, k),
        );
      } finally {
        model.release();
      }
    },
  );

  app.post<{ Querystring: PredictQuery }>(
    '/v1/predict/batch',
    {
      bodyLimit: jsonBodyLimit * settings.maxBatchImages,
      config: {
        swaggerTransform: documentUploads(batchBodies.multipart, false),
        describeModel: describeTopK,
      },
      schema: {
        operationId: 'predictBatch',
        summary: 'Identify the plants in several photos',
        description:
          `Up to serve.maxBatchImages (${settings.maxBatchImages}) photos: repeat multipart field \`image\`, or JSON \`{ "images": ["<base64>", ...] }\`. ` +
          'Each photo gets its own result in input order; a bad photo gets an `error` (the same one /v1/predict would answer) without failing the others.',
        tags: ['predict'],
        querystring: predictQuery,
        body: { content: { 'application/json': { schema: batchBodies.json } } },
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
                    id: { type: 'string', format: 'uuid' },
                    status: { $ref: 'AnswerStatus#' },
                    rank: { $ref: 'AnswerRank#' },
                    taxon: { $ref: 'Taxon#' },
                    openSet: { $ref: 'OpenSetScore#' },
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
          ...errorResponses(...PREDICT_ERRORS),
        },
      },
    },
    async (request) => {
      const started = performance.now();
      const model = holder.acquire();
      try {
        const input = await readPredictInput(
          request,
          { maxBytes: settings.maxUploadBytes, maxImages: batch.max },
          true,
        );
        const k = resolveTopK([request.query.topK, input.topK], model, settings.topK);
        const results = await Promise.all(
          input.images.map(async (image, index) => {
            try {
              const result = await inferImage(model, image.bytes, {
                ...limits(service),
                topK: k,
                field: image.field,
              });
              return {
                index,
                filename: image.filename,
                ...(await respond(
                  service,
                  request,
                  model,
                  image,
                  result,
                  started,
                  answerOptions(service, request.query, k),
                )),
              };
            } catch (error) {
              if (!isApiError(error) || error.statusCode >= 500) throw error;
              return { index, filename: image.filename, error: errorBody(error.code, error.message) };
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

export function answerOptions(service: PlantidService, query: PredictQuery, k: number): AnswerOptions {
  return {
    topK: k,
    server: service.settings.openSet,
    ...(query.lang !== undefined ? { lang: query.lang } : {}),
    ...(query.minConfidence !== undefined ? { minConfidence: query.minConfidence } : {}),
  };
}

export function limits(service: PlantidService) {
  return { maxBytes: service.settings.maxUploadBytes, maxPixels: service.settings.maxPixels };
}

/** topK from the query or the body (the query wins); each one given must be within 1..classes. */
export function resolveTopK(given: (number | undefined)[], model: ServingModel, fallback: number): number {
  const classes = model.labels.length;
  const requested = given.filter((k) => k !== undefined);
  for (const k of requested) {
    if (!Number.isInteger(k) || k < 1 || k > classes) {
      throw new errors.TOPK_OUT_OF_RANGE(
        `topK must be between 1 and ${classes} (the model has ${classes} classes), got ${k}`,
      );
    }
  }
  return requested[0] ?? Math.min(fallback, classes);
}

async function respond(
  service: PlantidService,
  request: FastifyRequest,
  model: ServingModel,
  image: UploadedImage,
  result: InferenceResult,
  started: number,
  options: AnswerOptions,
) {
  const answer = answerFor(model, result.probabilities, result.openSetScore, options);
  const top1 = answer.predictions[0]!;
  const totalMs = performance.now() - started;
  const id = await keepForFeedback(service, request, model, top1, { ...result, bytes: image.bytes });
  service.metrics.predictions.inc({ label: top1.label });
  observeAnswer(service.metrics, {
    model: model.summary,
    status: answer.status,
    top1Confidence: top1.confidence,
    ...(result.openSetScore === null ? {} : { opensetScore: result.openSetScore }),
    timings: result.timings,
  });
  // The request log: one line per prediction, never the image bytes.
  request.log.info(
    {
      event: 'prediction',
      predictionId: id,
      inputSha256: result.inputSha256,
      top1: { label: top1.label, confidence: top1.confidence },
      status: answer.status,
      latencyMs: roundMs(totalMs),
      model: model.summary,
      batchSize: result.batchSize,
    },
    'prediction',
  );
  return {
    id,
    model: model.summary,
    status: answer.status,
    rank: answer.rank,
    taxon: answer.taxon,
    openSet: answer.openSet,
    predictions: answer.predictions,
    timings: {
      decodeMs: roundMs(result.timings.decodeMs),
      queueMs: roundMs(result.timings.queueMs),
      inferMs: roundMs(result.timings.inferMs),
      totalMs: roundMs(totalMs),
    },
  };
}
