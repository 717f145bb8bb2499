import {
  answerStatus,
  createRandom,
  fuseProbabilities,
  fuseScores,
  type StatusThresholds,
  shuffle,
} from '@plantid/core';

export interface FusionPhotos {
  /** Calibrated probabilities, n × classes. */
  probs: Float32Array;
  scores: Float64Array;
  /** What a group must share: the true class (known photos) or the negatives' group (species). */
  keys: readonly (number | string)[];
  /** True classes (known photos); null for negatives. */
  actual: Int32Array | null;
}

export interface FusionResult {
  photos: number;
  groups: number;
  top1: number | null;
  identifiedRight: number | null;
  negativeGroups: number;
  negativesNotIdentified: number | null;
}

const SEEDS = 5;

/**
 * Several photos of one plant, measured by grouping test photos of the same class (and negatives of
 * the same group) `size` at a time: disjoint random groups, SEEDS seeds, averaged. A group's answer
 * fuses the mean of calibrated log-probabilities with the mean per-photo score. These are photos of
 * different plants of a species, so read the gain as an upper bound for one plant.
 */
export function measureFusion(
  known: FusionPhotos,
  negatives: FusionPhotos | null,
  classes: number,
  sizes: readonly number[],
  thresholds: StatusThresholds,
  seed: number,
): FusionResult[] {
  return [1, ...sizes.filter((s) => s > 1)].map((size) => {
    let groups = 0;
    let right = 0;
    let identifiedRight = 0;
    let negGroups = 0;
    let negNotIdentified = 0;
    for (let s = 0; s < (size === 1 ? 1 : SEEDS); s++) {
      const random = createRandom(seed, `fusion-${size}-${s}`);
      for (const group of groupsOf(known.keys, size, random)) {
        const answer = fused(known, group, classes, thresholds);
        const truth = known.actual![group[0]!]!;
        groups++;
        if (answer.top === truth) right++;
        if (answer.status === 'identified' && answer.top === truth) identifiedRight++;
      }
      if (!negatives) continue;
      for (const group of groupsOf(negatives.keys, size, random)) {
        negGroups++;
        if (fused(negatives, group, classes, thresholds).status !== 'identified') negNotIdentified++;
      }
    }
    return {
      photos: size,
      groups: Math.round(groups / (size === 1 ? 1 : SEEDS)),
      top1: groups ? right / groups : null,
      identifiedRight: groups ? identifiedRight / groups : null,
      negativeGroups: Math.round(negGroups / (size === 1 ? 1 : SEEDS)),
      negativesNotIdentified: negGroups ? negNotIdentified / negGroups : null,
    };
  });
}

function groupsOf(keys: readonly (number | string)[], size: number, random: () => number): number[][] {
  const byKey = new Map<number | string, number[]>();
  for (const [i, k] of keys.entries()) byKey.set(k, [...(byKey.get(k) ?? []), i]);
  const groups: number[][] = [];
  for (const members of byKey.values()) {
    const order = size === 1 ? members : shuffle([...members], random);
    for (let i = 0; i + size <= order.length; i += size) groups.push(order.slice(i, i + size));
  }
  return groups;
}

function fused(photos: FusionPhotos, group: number[], classes: number, thresholds: StatusThresholds) {
  const probs = fuseProbabilities(group.map((i) => photos.probs.subarray(i * classes, (i + 1) * classes)));
  let top = 0;
  for (let c = 1; c < classes; c++) if (probs[c]! > probs[top]!) top = c;
  const score = fuseScores(group.map((i) => photos.scores[i]!));
  return { top, status: answerStatus(score, probs[top]!, thresholds) };
}
