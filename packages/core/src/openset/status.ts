import type { Label } from '../contracts/labels.js';
import { PROBABILITY_FLOOR } from '../helpers/temperature.js';

/** The answer to "what plant is this?" (DESIGN.md, Prediction answer). */
export const ANSWER_STATUSES = ['identified', 'uncertain', 'not_recognized'] as const;
export type AnswerStatus = (typeof ANSWER_STATUSES)[number];
export const ANSWER_RANKS = ['species', 'genus', 'family'] as const;
export type AnswerRank = (typeof ANSWER_RANKS)[number];

export interface StatusThresholds {
  /** Open-set score below which the answer is not_recognized; null = no open-set gate. */
  open: number | null;
  /** Top-1 confidence at or above which a species (or group) is identified. */
  confidence: number;
}

/**
 * not_recognized when the open-set score is below `open` (probably none of the known species),
 * identified when the top-1 confidence reaches `confidence`, uncertain otherwise (a species is
 * likely but not sure; the predictions are still listed).
 */
export function answerStatus(
  score: number | null,
  confidence: number,
  thresholds: StatusThresholds,
): AnswerStatus {
  if (thresholds.open !== null && score !== null && score < thresholds.open) return 'not_recognized';
  return confidence >= thresholds.confidence ? 'identified' : 'uncertain';
}

export interface TaxonAnswer {
  rank: Exclude<AnswerRank, 'species'>;
  name: string;
  /** Summed probability of its member species. */
  confidence: number;
  /** labels.json indices of the member species, most probable first. */
  members: number[];
}

/**
 * iNaturalist's common-ancestor answer: when no species reaches `minConfidence`, the genus (then
 * the family) whose member species' probabilities add up to it. Only groups with at least two
 * known species count (one member is just the species again); null when none reaches it.
 */
export function taxonFallback(
  probabilities: ArrayLike<number>,
  labels: readonly Label[],
  minConfidence: number,
): TaxonAnswer | null {
  for (const rank of ['genus', 'family'] as const) {
    const groups = new Map<string, number[]>();
    for (const label of labels) {
      const name = label[rank];
      if (name) groups.set(name, [...(groups.get(name) ?? []), label.index]);
    }
    let best: TaxonAnswer | null = null;
    for (const [name, members] of groups) {
      if (members.length < 2) continue;
      const confidence = members.reduce((s, i) => s + probabilities[i]!, 0);
      if (confidence >= minConfidence && (!best || confidence > best.confidence)) {
        const ordered = [...members].sort((a, b) => probabilities[b]! - probabilities[a]! || a - b);
        best = { rank, name, confidence, members: ordered };
      }
    }
    if (best) return best;
  }
  return null;
}

/**
 * Several photos of one plant: the mean of their (calibrated) log-probabilities, renormalised
 * (a product of experts: a species must fit every photo). One photo returns its probabilities.
 */
export function fuseProbabilities(photos: readonly ArrayLike<number>[]): Float32Array {
  const classes = photos[0]?.length ?? 0;
  const mean = new Float64Array(classes);
  for (const p of photos)
    for (let c = 0; c < classes; c++)
      mean[c]! += Math.log(Math.max(p[c]!, PROBABILITY_FLOOR)) / photos.length;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of mean) max = Math.max(max, v);
  let sum = 0;
  for (let c = 0; c < classes; c++) {
    mean[c] = Math.exp(mean[c]! - max);
    sum += mean[c]!;
  }
  return Float32Array.from(mean, (v) => v / sum);
}

/** The open-set score of fused photos: the mean of the per-photo scores (a mean embedding would drift toward the known classes). */
export function fuseScores(scores: readonly number[]): number {
  return scores.reduce((s, v) => s + v, 0) / Math.max(1, scores.length);
}
