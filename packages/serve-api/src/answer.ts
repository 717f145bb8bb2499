import {
  type AnswerRank,
  type AnswerStatus,
  answerStatus,
  displayName,
  fuseProbabilities,
  fuseScores,
  type Label,
  type StatusThresholds,
  taxonFallback,
} from '@plantid/core';
import type { ServingModel } from './model.js';
import { type Prediction, topK } from './predictions.js';

/** Confidence threshold of a bundle without openset.json (no not_recognized gate then). */
export const DEFAULT_MIN_CONFIDENCE = 0.5;

/** What the request and the server ask of the answer. */
export interface AnswerOptions {
  topK: number;
  /** Language of the display names (`?lang=`); English, then the scientific name, without one. */
  lang?: string;
  /** The request's `minConfidence`: overrides the identified threshold. */
  minConfidence?: number;
  /** serve.openSet. */
  server: { open?: number; confidence?: number };
}

export interface Answer {
  status: AnswerStatus;
  rank: AnswerRank;
  /** The genus or family answered when no species was sure enough but their sum was; null otherwise. */
  taxon: { rank: 'genus' | 'family'; name: string; confidence: number; members: Prediction[] } | null;
  predictions: Prediction[];
  openSet: { score: number | null; thresholds: { open: number | null; confidence: number } };
}

/** The thresholds in force: the request's minConfidence, else the server's, else the bundle's. */
export function thresholdsFor(model: ServingModel, options: AnswerOptions): StatusThresholds {
  const fitted = model.openSet?.params.thresholds;
  return {
    open: model.openSet ? (options.server.open ?? fitted!.open) : null,
    confidence:
      options.minConfidence ?? options.server.confidence ?? fitted?.confidence ?? DEFAULT_MIN_CONFIDENCE,
  };
}

/**
 * The answer to one plant (one photo, or several fused): the status by the open-set score and the
 * top-1 confidence, the genus/family fallback when no species is sure enough, named predictions.
 */
export function answerFor(
  model: ServingModel,
  probabilities: Float32Array,
  score: number | null,
  options: AnswerOptions,
): Answer {
  const thresholds = thresholdsFor(model, options);
  const predictions = namedTopK(probabilities, model.labels, options.topK, options.lang);
  let status = answerStatus(score, Math.max(...probabilities), thresholds);
  let rank: AnswerRank = 'species';
  let taxon: Answer['taxon'] = null;
  if (status === 'uncertain') {
    const fallback = taxonFallback(probabilities, model.labels, thresholds.confidence);
    if (fallback) {
      status = 'identified';
      rank = fallback.rank;
      taxon = {
        rank: fallback.rank,
        name: fallback.name,
        confidence: round(fallback.confidence),
        members: fallback.members.map((i) => named(model.labels[i]!, probabilities[i]!, options.lang)),
      };
    }
  }
  return {
    status,
    rank,
    taxon,
    predictions,
    openSet: { score: score === null ? null : round(score), thresholds },
  };
}

/** Several photos of one plant: mean of calibrated log-probabilities, mean of the per-photo scores. */
export function fuse(photos: { probabilities: Float32Array; score: number | null }[]): {
  probabilities: Float32Array;
  score: number | null;
} {
  const scores = photos.map((p) => p.score);
  return {
    probabilities:
      photos.length === 1 ? photos[0]!.probabilities : fuseProbabilities(photos.map((p) => p.probabilities)),
    score: scores.some((s) => s === null) ? null : fuseScores(scores as number[]),
  };
}

function namedTopK(
  probabilities: Float32Array,
  labels: readonly Label[],
  k: number,
  lang?: string,
): Prediction[] {
  return topK(probabilities, labels, k).map((p) => ({
    ...p,
    ...names(labels.find((l) => l.id === p.label)!, lang),
  }));
}

function named(label: Label, confidence: number, lang?: string): Prediction {
  return { label: label.id, confidence: round(confidence), ...names(label, lang) };
}

function names(label: Label, lang?: string) {
  return {
    name: displayName(label, lang),
    ...(label.scientificName ? { scientificName: label.scientificName } : {}),
    ...(label.genus ? { genus: label.genus } : {}),
    ...(label.family ? { family: label.family } : {}),
  };
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
