import { webcrypto } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sha256 } from '@plantid/core';
import { outputsOfRow } from '@plantid/engine';
import { averageViews, ImageDecodeError, specViews, viewsToRgb } from '@plantid/preprocess';
import { type ApiError, errors } from './errors.js';
import { checkImage, type ImageLimits } from './image-check.js';
import type { ServingModel } from './model.js';
import { calibrate, type Prediction, topK } from './predictions.js';
import type { SniffedFormat } from './sniff.js';

export interface InferenceResult {
  predictions: Prediction[];
  /** Calibrated probabilities over all labels, in labels.json order. */
  probabilities: Float32Array;
  /** The bundle's open-set score of the photo; null without openset.json. */
  openSetScore: number | null;
  inputSha256: string;
  format: SniffedFormat;
  timings: { decodeMs: number; queueMs: number; inferMs: number };
  batchSize: number;
}

/**
 * One image through the serving path: magic-byte checks → the shared preprocessing with the
 * bundle's spec, for each of its test-time views (decode + crop + resize here, normalisation in the
 * inference worker) → the model's micro-batcher → the mean over views → temperature calibration →
 * top-k. Bad images throw ApiErrors (4xx); anything else is a server fault.
 */
export async function inferImage(
  model: ServingModel,
  bytes: Uint8Array,
  options: ImageLimits & { topK: number; field?: string },
): Promise<InferenceResult> {
  const field = options.field ?? 'image';
  const checked = checkImage(bytes, options, field);
  // Big uploads are hashed on the thread pool beside decoding so they never stall the event loop;
  // small ones (most photos) hash faster inline than the hop costs.
  const hashing = bytes.byteLength > 1024 * 1024 ? webcrypto.subtle.digest('SHA-256', bytes) : undefined;
  hashing?.catch(() => undefined);
  const tickets = specViews(model.spec).map(() => model.batcher.reserve());
  let views: Uint8Array[];
  const decodeStart = performance.now();
  try {
    // Decoded, cropped and resized by the shared preprocessing; the inference worker normalises (same function).
    views = await viewsToRgb(bytes, model.spec, { limitInputPixels: options.maxPixels });
  } catch (error) {
    for (const t of tickets) t.cancel();
    throw decodeFailure(error, field, checked.format, options.maxPixels);
  }
  const decodeMs = performance.now() - decodeStart;
  const inputSha256 = hashing ? Buffer.from(await hashing).toString('hex') : sha256(bytes);
  const results = await Promise.all(tickets.map((t, v) => t.submit(views[v]!)));
  const result = results[0]!;
  // Every output (probabilities, embedding, logits) is the mean over the views, as evaluate does.
  const rows = new Float32Array(results.length * result.output.length);
  for (const [v, r] of results.entries()) rows.set(r.output, v * result.output.length);
  const outputs = outputsOfRow(
    model.engine.outputs,
    averageViews(rows, results.length, result.output.length),
  );
  const probabilities = calibrate(outputs[model.engine.outputs[0]!.name]!, model.temperature);
  const openSetScore = model.openSet ? model.openSet.scorer.score({ ...outputs, probabilities }) : null;
  return {
    openSetScore,
    predictions: topK(probabilities, model.labels, options.topK),
    probabilities,
    inputSha256,
    format: checked.format,
    timings: {
      decodeMs,
      queueMs: Math.max(...results.map((r) => r.queueMs)),
      inferMs: Math.max(...results.map((r) => r.inferMs)),
    },
    batchSize: result.batchSize,
  };
}

function decodeFailure(error: unknown, field: string, format: string, maxPixels: number): ApiError | unknown {
  if (!(error instanceof ImageDecodeError)) return error;
  if (error.reason === 'too_large') {
    // libvips refuses from the header, before allocating pixels: a decompression bomb costs only its upload.
    return new errors.IMAGE_TOO_MANY_PIXELS(
      `${field} has more than ${maxPixels} pixels (serve.maxPixels); downscale it before sending`,
    );
  }
  return new errors.IMAGE_UNDECODABLE(
    `${field} is a damaged or truncated ${format.toUpperCase()} (${error.message.replace(/^cannot decode image: /, '')}); send the complete file`,
  );
}

export function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100;
}
