import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { badRequest, notFound } from '../errors.js';
import type { FeedbackLocation } from '../feedback-store.js';
import { errorResponses, PRIVACY_TEXT } from '../schemas.js';

interface FeedbackBody {
  predictionId: string;
  label: string;
  consent: boolean;
  location?: FeedbackLocation;
}

export function feedbackRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Body: FeedbackBody }>(
    '/v1/feedback',
    {
      bodyLimit: 16 * 1024,
      schema: {
        summary: 'Say whether a prediction was right, and which species it really is',
        description: `Stored in the append-only feedback store (feedback.jsonl + images/) that the next \`pipeline run\` learns from. ${PRIVACY_TEXT}`,
        tags: ['feedback'],
        body: {
          type: 'object',
          required: ['predictionId', 'label', 'consent'],
          additionalProperties: false,
          properties: {
            predictionId: { type: 'string', format: 'uuid', description: 'The `id` of a recent prediction.' },
            label: {
              type: 'string',
              minLength: 1,
              description: 'The right label id (or display name); the predicted label when it was correct.',
            },
            consent: {
              type: 'boolean',
              description:
                'true = keep the photo (metadata stripped) for retraining; false = keep only the judgement.',
            },
            location: {
              type: 'object',
              description: 'Optional, stored only when sent here; never taken from the photo.',
              required: ['latitude', 'longitude'],
              additionalProperties: false,
              properties: {
                latitude: { type: 'number', minimum: -90, maximum: 90 },
                longitude: { type: 'number', minimum: -180, maximum: 180 },
                accuracyMeters: { type: 'number', minimum: 0 },
              },
            },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              correct: { type: 'boolean' },
              imageStored: { type: 'boolean' },
              locationStored: { type: 'boolean' },
            },
            required: ['id', 'correct', 'imageStored', 'locationStored'],
          },
          ...errorResponses(400, 404, 429),
        },
      },
    },
    async (request, reply) => {
      const { predictionId, consent, location } = request.body;
      const prediction = ctx.memory.recall(predictionId);
      if (!prediction) {
        throw notFound(
          'PREDICTION_NOT_FOUND',
          `prediction ${predictionId} is unknown or older than ${ctx.settings.predictionMemory.ttlMs / 60_000} minutes; predict again, then send feedback`,
        );
      }
      const label = resolveLabel(request.body.label, prediction.labelIds, ctx);
      const record = await ctx.feedback.add({ prediction, label, consent, location: location ?? null });
      ctx.metrics.feedback.inc({ correct: String(record.correct), consent: String(consent) });
      request.log.info(
        { event: 'feedback', feedbackId: record.id, predictionId, correct: record.correct, consent },
        'feedback',
      );
      reply.code(201);
      return {
        id: record.id,
        correct: record.correct,
        imageStored: record.image !== null,
        locationStored: record.location !== null,
      };
    },
  );
}

/** Accepts a label id, or a display name of the current model; answers with the id. */
function resolveLabel(given: string, labelIds: ReadonlySet<string>, ctx: ApiContext): string {
  if (labelIds.has(given)) return given;
  const byName = ctx.holder.current?.labels.find((l) => l.name === given && labelIds.has(l.id));
  if (byName) return byName.id;
  throw badRequest(
    'UNKNOWN_LABEL',
    `label "${given}" is not one of the model's ${labelIds.size} labels; see GET /v1/models for the list`,
  );
}
