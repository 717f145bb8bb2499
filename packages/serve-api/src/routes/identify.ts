import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { answerFor, fuse } from '../answer.js';
import { errorResponses, errors } from '../errors.js';
import { inferImage, roundMs } from '../infer.js';
import { readPredictInput } from '../input.js';
import { predictResponseSchema } from '../schemas.js';
import { keepForFeedback } from './keep-for-feedback.js';
import {
  answerOptions,
  describeTopK,
  documentUploads,
  jsonImage,
  limits,
  PREDICT_ERRORS,
  type PredictQuery,
  photoFile,
  predictQuery,
  resolveTopK,
  topKField,
} from './predict.js';

/** Photos of one plant per request, as Pl@ntNet takes them. */
export const IDENTIFY_MAX_PHOTOS = 5;
export const ORGANS = ['leaf', 'flower', 'fruit', 'bark', 'habit', 'auto'] as const;

const organsField = {
  type: 'array',
  maxItems: IDENTIFY_MAX_PHOTOS,
  items: { type: 'string', enum: [...ORGANS] },
  description:
    'What each photo shows, in photo order (default auto). Recorded with the answer; the model has one head for every organ, so it does not change the fusion.',
} as const;

/** POST /v1/identify: 1–5 photos of one plant, fused into one answer. */
export function identifyRoutes(app: FastifyInstance): void {
  const service = app.plantid;
  const { settings, holder } = service;
  const jsonBodyLimit = (Math.ceil((settings.maxUploadBytes * 4) / 3) + 64 * 1024) * IDENTIFY_MAX_PHOTOS;
  const images = { type: 'array', minItems: 1, maxItems: IDENTIFY_MAX_PHOTOS, items: jsonImage } as const;
  const multipart = {
    type: 'object',
    required: ['images'],
    additionalProperties: false,
    properties: {
      images: { ...images, items: photoFile, description: 'One field per photo (repeat the field), 1 to 5.' },
      organs: { ...organsField, description: `${organsField.description} Repeat the field per photo.` },
      topK: topKField,
    },
  };

  app.post<{ Querystring: PredictQuery }>(
    '/v1/identify',
    {
      bodyLimit: jsonBodyLimit,
      config: { swaggerTransform: documentUploads(multipart, false), describeModel: describeTopK },
      schema: {
        operationId: 'identify',
        summary: 'Identify one plant from several photos of it',
        description:
          'One to five photos of the same plant (multipart fields `images`, optional `organs` per photo; or JSON `{ "images": [...], "organs": [...] }`). ' +
          'The answer fuses them: the mean of their calibrated log-probabilities decides the species and confidence, the mean of their open-set scores decides not_recognized. ' +
          'Each photo’s own answer is listed in `photos`. A bad photo fails the request (send it again without it).',
        tags: ['predict'],
        querystring: predictQuery,
        body: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['images'],
                properties: { images, organs: organsField, topK: topKField },
              },
            },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              ...predictResponseSchema.properties,
              photos: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    index: { type: 'integer' },
                    filename: { type: 'string' },
                    organ: { type: 'string', enum: [...ORGANS] },
                    status: { $ref: 'AnswerStatus#' },
                    openSet: { $ref: 'OpenSetScore#' },
                    predictions: { type: 'array', items: { $ref: 'Prediction#' } },
                  },
                  required: ['index', 'organ', 'status', 'openSet', 'predictions'],
                },
              },
              timings: { $ref: 'Timings#' },
            },
            required: [...predictResponseSchema.required, 'photos'],
          },
          ...errorResponses(...PREDICT_ERRORS, 'INVALID_FIELD'),
        },
      },
    },
    async (request) => {
      const started = performance.now();
      const model = holder.acquire();
      try {
        const input = await readPredictInput(
          request,
          {
            maxBytes: settings.maxUploadBytes,
            maxImages: IDENTIFY_MAX_PHOTOS,
            organs: true,
            tooMany: `more than ${IDENTIFY_MAX_PHOTOS} photos of one plant; send the ${IDENTIFY_MAX_PHOTOS} that show it best`,
          },
          true,
        );
        const organs = checkOrgans(input.organs, input.images.length);
        const k = resolveTopK([request.query.topK, input.topK], model, settings.topK);
        const options = answerOptions(service, request.query, k);
        const results = await Promise.all(
          input.images.map((image) =>
            inferImage(model, image.bytes, { ...limits(service), topK: k, field: image.field }),
          ),
        );
        const photos = results.map((r) => ({ probabilities: r.probabilities, score: r.openSetScore }));
        const fused = fuse(photos);
        const answer = answerFor(model, fused.probabilities, fused.score, options);
        const top1 = answer.predictions[0]!;
        // Feedback on the answer refers to the first photo (the prediction memory holds one image per id).
        const id = await keepForFeedback(service, request, model, top1, {
          ...results[0]!,
          bytes: input.images[0]!.bytes,
        });
        service.metrics.predictions.inc({ label: top1.label });
        const totalMs = performance.now() - started;
        request.log.info(
          {
            event: 'identify',
            predictionId: id,
            inputSha256: results.map((r) => r.inputSha256),
            organs,
            top1: { label: top1.label, confidence: top1.confidence },
            status: answer.status,
            latencyMs: roundMs(totalMs),
            model: model.summary,
          },
          'identify',
        );
        const sum = (key: 'decodeMs' | 'queueMs' | 'inferMs') =>
          roundMs(results.reduce((s, r) => s + r.timings[key], 0));
        return {
          id,
          model: model.summary,
          ...answer,
          photos: results.map((r, index) => {
            const own = answerFor(model, r.probabilities, r.openSetScore, options);
            return {
              index,
              ...(input.images[index]!.filename ? { filename: input.images[index]!.filename } : {}),
              organ: organs[index]!,
              status: own.status,
              openSet: own.openSet,
              predictions: own.predictions,
            };
          }),
          timings: {
            decodeMs: sum('decodeMs'),
            queueMs: sum('queueMs'),
            inferMs: sum('inferMs'),
            totalMs: roundMs(totalMs),
          },
        };
      } finally {
        model.release();
      }
    },
  );
}

/** One organ per photo (auto when none are sent); a count that does not match or an unknown organ is a 400 naming it. */
function checkOrgans(organs: string[] | undefined, photos: number): string[] {
  if (!organs || organs.length === 0) return Array.from({ length: photos }, () => 'auto');
  if (organs.length !== photos)
    throw new errors.INVALID_FIELD(
      `organs has ${organs.length} entries for ${photos} photos; send one organ per photo, in photo order`,
    );
  for (const [i, organ] of organs.entries())
    if (!(ORGANS as readonly string[]).includes(organ))
      throw new errors.INVALID_FIELD(`organs[${i}] is "${organ}"; use one of ${ORGANS.join(', ')}`);
  return organs;
}
