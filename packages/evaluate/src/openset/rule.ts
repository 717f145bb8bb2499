import { answerStatus, type StatusCounts, type StatusThresholds } from '@plantid/core';
import { quantile } from './separation.js';

/** One set of photos through the model: per photo the open-set score, the top-1 confidence and class, and (known photos) the true class. */
export interface ScoredSet {
  scores: Float64Array;
  confidence: Float64Array;
  predicted: Int32Array;
  actual: Int32Array | null;
}

export interface ThresholdChoice {
  thresholds: { open: number; confidence: number };
  valKeepsOpen: number;
  /** Share of the val negatives answered not identified; null without negatives. */
  negativesNotIdentified: number | null;
  /** The target was missed at every valKeeps; the last was used. */
  missed: boolean;
}

/**
 * τ_open = Q(s on val, 1 − a), τ_conf = Q(confidence of the val photos past τ_open, 1 − b): fitted
 * on val only. With negatives, `a` is the largest of `valKeeps` whose thresholds answer at least
 * `target` of them not identified (never a threshold placed between val and the negatives: that
 * fits the given negatives and lets other unknowns through).
 */
export function chooseThresholds(
  val: ScoredSet,
  negatives: ScoredSet | null,
  options: { valKeeps: readonly number[]; valKeepsConfidence: number; target: number },
): ThresholdChoice {
  const keeps = [...options.valKeeps].sort((x, y) => y - x);
  let last: ThresholdChoice | undefined;
  for (const a of keeps) {
    const open = quantile(val.scores, 1 - a);
    const past = val.confidence.filter((_, i) => val.scores[i]! >= open);
    const confidence = quantile(past.length ? past : val.confidence, 1 - options.valKeepsConfidence);
    const thresholds = { open, confidence };
    const share = negatives
      ? 1 - countStatuses(negatives, thresholds).identified / negatives.scores.length
      : null;
    last = { thresholds, valKeepsOpen: a, negativesNotIdentified: share, missed: false };
    if (share === null || share >= options.target) return last;
  }
  return { ...last!, missed: true };
}

/** How a set is answered at these thresholds. */
export function countStatuses(set: ScoredSet, thresholds: StatusThresholds): StatusCounts {
  const counts: StatusCounts = {
    count: set.scores.length,
    identified: 0,
    identifiedRight: set.actual ? 0 : null,
    uncertain: 0,
    notRecognized: 0,
  };
  for (let i = 0; i < set.scores.length; i++) {
    const status = answerStatus(set.scores[i]!, set.confidence[i]!, thresholds);
    if (status === 'not_recognized') counts.notRecognized++;
    else if (status === 'uncertain') counts.uncertain++;
    else {
      counts.identified++;
      if (set.actual && set.predicted[i] === set.actual[i]) counts.identifiedRight!++;
    }
  }
  return counts;
}
