import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ServingModel } from '../model.js';
import type { RememberedPrediction } from '../prediction-memory.js';
import type { PlantidService } from '../service.js';

/**
 * Gives an answer its prediction id and keeps the photo for feedback on it. Awaited, so feedback
 * sent to another replica right after finds it; a store that is down costs the prediction its
 * feedback, never its answer.
 */
export async function keepForFeedback(
  service: PlantidService,
  request: FastifyRequest,
  model: ServingModel,
  top1: { label: string; confidence: number },
  photo: Pick<RememberedPrediction, 'inputSha256' | 'format' | 'bytes'>,
): Promise<string> {
  const id = randomUUID();
  await service.memory
    .remember({
      id,
      time: new Date().toISOString(),
      model: model.summary,
      labelIds: model.labelIds,
      top1: { label: top1.label, confidence: top1.confidence },
      inputSha256: photo.inputSha256,
      format: photo.format,
      bytes: photo.bytes,
    })
    .catch((error: unknown) =>
      request.log.warn(
        { err: error, predictionId: id },
        'prediction not kept for feedback: the store failed',
      ),
    );
  return id;
}
