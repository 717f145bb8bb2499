import type { Pair } from './duplicates.js';
import { seededRandom, shuffle } from './random.js';
import { SPLITS, type Split } from './records.js';
import { UnionFind } from './unionFind.js';

export interface SplitItem {
  label: string;
  /** False when a flag keeps the image out of training. */
  eligible: boolean;
  fixedSplit: Split | null;
}

export type Ratios = Record<Split, number>;

/**
 * Group-aware, stratified, seeded split. Images linked by any pair (duplicates, near
 * duplicates, consecutive shots; transitively, even through excluded images) form one unit
 * and land in one split. Per label, units are shuffled with the seed, placed largest first,
 * each into the split furthest below its target. A split fixed by the manifest is kept
 * as given (its cross-split duplicates are then counted, not hidden).
 */
export function assignSplits(
  items: SplitItem[],
  links: Pair[],
  ratios: Ratios,
  seed: number,
): (Split | null)[] {
  const uf = new UnionFind(items.length);
  for (const p of links) uf.union(p.a, p.b);
  const units = new Map<number, number[]>();
  items.forEach((item, i) => {
    if (!item.eligible) return;
    const root = uf.find(i);
    units.set(root, [...(units.get(root) ?? []), i]);
  });
  const result: (Split | null)[] = items.map(() => null);
  const counts = new Map<string, Record<Split, number>>();
  const totals = new Map<string, number>();
  const countFor = (label: string) => {
    let c = counts.get(label);
    if (!c) {
      c = { train: 0, val: 0, test: 0 };
      counts.set(label, c);
    }
    return c;
  };
  const free = new Map<string, number[][]>();
  for (const members of units.values()) {
    const label = majorityLabel(members.map((i) => items[i]!.label));
    for (const i of members) totals.set(items[i]!.label, (totals.get(items[i]!.label) ?? 0) + 1);
    const fixed = members.map((i) => items[i]!.fixedSplit).filter((s): s is Split => s !== null);
    if (fixed.length > 0) {
      const follow = majorityLabel(fixed) as Split;
      for (const i of members) {
        result[i] = items[i]!.fixedSplit ?? follow;
        countFor(items[i]!.label)[result[i]!]++;
      }
      continue;
    }
    free.set(label, [...(free.get(label) ?? []), members]);
  }
  for (const label of [...free.keys()].sort()) {
    const target = Object.fromEntries(SPLITS.map((s) => [s, ratios[s] * (totals.get(label) ?? 0)])) as Record<
      Split,
      number
    >;
    const placed = countFor(label);
    const ordered = shuffle(free.get(label)!, seededRandom(seed, label)).sort((a, b) => b.length - a.length);
    for (const members of ordered) {
      let best: Split = 'train';
      let bestDeficit = Number.NEGATIVE_INFINITY;
      for (const s of SPLITS) {
        if (ratios[s] <= 0) continue;
        const deficit = target[s] - placed[s];
        if (deficit > bestDeficit + 1e-9) {
          best = s;
          bestDeficit = deficit;
        }
      }
      for (const i of members) result[i] = best;
      placed[best] += members.length;
    }
  }
  return result;
}

function majorityLabel(values: string[]): string {
  const tally = new Map<string, number>();
  for (const v of values) tally.set(v, (tally.get(v) ?? 0) + 1);
  return [...tally.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
}

/** Pairs whose two images both take part in training but sit in different splits. */
export function crossSplitPairs(pairs: Pair[], splits: (Split | null)[]): Pair[] {
  return pairs.filter((p) => splits[p.a] !== null && splits[p.b] !== null && splits[p.a] !== splits[p.b]);
}
