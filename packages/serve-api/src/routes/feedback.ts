import type { FastifyInstance } from 'fastify';
import { BODY_ERRORS, errorResponses, errors } from '../errors.js';
import type { FeedbackLocation } from '../feedback-store.js';
import type { ServingModel } from '../model.js';
import type { OpenApiOperation } from '../openapi.js';
import { StoreUnavailableError } from '../prediction-store.js';
import { PRIVACY_TEXT } from '../schemas.js';
import type { PlantidService } from '../service.js';

interface FeedbackBody {
  predictionId: string;
  label: string;
  consent: boolean;
  location?: FeedbackLocation;
}

/** The labels feedback takes, from the loaded model: its label ids and display names (resolveLabel accepts both). */
function describeLabels(operation: OpenApiOperation, model: ServingModel): void {
  const label = operation.requestBody?.content?.['application/json']?.schema?.properties?.label;
  if (label) label.enum = [...new Set(model.labels.flatMap((l) => [l.id, l.name]))];
}

export function feedbackRoutes(app: FastifyInstance): void {
  const service = app.plantid;
  app.post<{ Body: FeedbackBody }>(
    '/v1/feedback',
    {
      bodyLimit: 16 * 1024,
      config: { describeModel: describeLabels },
      schema: {
        operationId: 'sendFeedback',
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
          ...errorResponses(
            ...BODY_ERRORS,
            'UNKNOWN_LABEL',
            'PREDICTION_NOT_FOUND',
            'RATE_LIMITED',
            'STORE_UNAVAILABLE',
          ),
        },
      },
    },
    async (request, reply) => {
      const { predictionId, consent, location } = request.body;
      const prediction = await service.memory.recall(predictionId).catch((error: unknown) => {
        if (error instanceof StoreUnavailableError) throw new errors.STORE_UNAVAILABLE(error.message);
        throw error;
      });
      if (!prediction) {
        throw new errors.PREDICTION_NOT_FOUND(
          `prediction ${predictionId} is unknown or older than ${service.settings.predictionMemory.ttlMs / 60_000} minutes; predict again, then send feedback`,
        );
      }
      const label = resolveLabel(request.body.label, prediction.labelIds, service);
      const record = await service.feedback.add({ prediction, label, consent, location: location ?? null });
      service.metrics.feedback.inc({ correct: String(record.correct), consent: String(consent) });
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
function resolveLabel(given: string, labelIds: ReadonlySet<string>, service: PlantidService): string {
  if (labelIds.has(given)) return given;
  const byName = service.model?.labels.find((l) => l.name === given && labelIds.has(l.id));
  if (byName) return byName.id;
  throw new errors.UNKNOWN_LABEL(
    `label "${given}" is not one of the model's ${labelIds.size} labels; see GET /v1/models for the list`,
  );
}
