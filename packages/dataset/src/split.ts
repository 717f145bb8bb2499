import { SPLITS, type Split, sha256 } from '@plantid/core';
import type { Pair } from './duplicates.js';
import { UnionFind } from './unionFind.js';

export interface SplitItem {
  /** The image's content hash: where it lands depends on its bytes, not on its name or position. */
  key: string;
  label: string;
  /** False when a flag keeps the image out of training. */
  eligible: boolean;
  fixedSplit: Split | null;
}

export type Ratios = Record<Split, number>;

interface Unit {
  members: number[];
  /** The majority label of its members: units are stratified by it. */
  label: string;
  /** Where the unit falls in [0, 1): a hash of the seed and its smallest member key. */
  position: number;
}

/**
 * Group-aware, stratified, seeded and stable split. Images linked by any pair (duplicates, near
 * duplicates, consecutive shots; transitively, even through excluded images) form one unit and
 * land in one split. Each unit's split comes from a hash of the seed and its content, cut at the
 * ratios, so adding photos (a retrain with user feedback) leaves every earlier photo where it was
 * and the test set of one model version stays the test set of the next. A unit only moves when a
 * new photo joins it as a near duplicate (it must, to stay leak-free). Per label, the hash gives
 * the ratios up to sampling noise; a small label whose draw leaves a split empty lends it the unit
 * that sits nearest to that split. A split fixed by the manifest is kept as given (its cross-split
 * duplicates are then counted, not hidden).
 */
export function assignSplits(
  items: SplitItem[],
  links: Pair[],
  ratios: Ratios,
  seed: number,
): (Split | null)[] {
  const uf = new UnionFind(items.length);
  for (const p of links) uf.union(p.a, p.b);
  const eligible = items.flatMap((item, i) => (item.eligible ? [i] : []));
  const result: (Split | null)[] = items.map(() => null);
  const free: Unit[] = [];
  for (const members of Map.groupBy(eligible, (i) => uf.find(i)).values()) {
    const fixed = members.map((i) => items[i]!.fixedSplit).filter((s): s is Split => s !== null);
    if (fixed.length > 0) {
      const follow = majority(fixed) as Split;
      for (const i of members) result[i] = items[i]!.fixedSplit ?? follow;
      continue;
    }
    const key = members.map((i) => items[i]!.key).sort()[0]!;
    free.push({
      members,
      label: majority(members.map((i) => items[i]!.label)),
      position: hashPosition(seed, key),
    });
  }
  const intervals = splitIntervals(ratios);
  for (const units of Map.groupBy(free, (u) => u.label).values()) {
    const placed = units.map(
      (u) => intervals.find((iv) => u.position < iv.end)?.split ?? intervals.at(-1)!.split,
    );
    fillEmptySplits(units, placed, intervals);
    units.forEach((u, n) => {
      for (const i of u.members) result[i] = placed[n]!;
    });
  }
  return result;
}

interface Interval {
  split: Split;
  start: number;
  end: number;
}

/** [0, 1) cut at the normalised ratios, in SPLITS order; splits with ratio 0 get no interval. */
function splitIntervals(ratios: Ratios): Interval[] {
  const active = SPLITS.filter((s) => ratios[s] > 0);
  const total = active.reduce((sum, s) => sum + ratios[s], 0);
  let start = 0;
  return active.map((split) => {
    const end = start + ratios[split] / total;
    const interval = { split, start, end };
    start = end;
    return interval;
  });
}

/** A label with at least one unit per split should not miss one: the nearest unit from the fullest split moves. */
function fillEmptySplits(units: Unit[], placed: Split[], intervals: Interval[]): void {
  if (units.length < intervals.length) return;
  for (const target of intervals) {
    if (placed.includes(target.split)) continue;
    const tally = new Map<Split, number>();
    for (const s of placed) tally.set(s, (tally.get(s) ?? 0) + 1);
    const fullest = [...tally.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    let best = -1;
    let bestDistance = Number.POSITIVE_INFINITY;
    units.forEach((u, n) => {
      if (placed[n] !== fullest) return;
      const distance = Math.max(target.start - u.position, u.position - target.end, 0);
      if (distance < bestDistance) {
        best = n;
        bestDistance = distance;
      }
    });
    placed[best] = target.split;
  }
}

function hashPosition(seed: number, key: string): number {
  return Number.parseInt(sha256(`${seed}:${key}`).slice(0, 13), 16) / 16 ** 13;
}

function majority(values: string[]): string {
  const tally = new Map<string, number>();
  for (const v of values) tally.set(v, (tally.get(v) ?? 0) + 1);
  return [...tally.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
}

/** Pairs whose two images both take part in training but sit in different splits. */
export function crossSplitPairs(pairs: Pair[], splits: (Split | null)[]): Pair[] {
  return pairs.filter((p) => splits[p.a] !== null && splits[p.b] !== null && splits[p.a] !== splits[p.b]);
}
