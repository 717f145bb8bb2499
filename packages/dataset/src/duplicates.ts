import { basename, dirname } from 'node:path';
import { createRandom, type HashIndex, indexHexHashes, visitNearDuplicates } from '@plantid/core';
import { UnionFind } from './unionFind.js';

export interface DedupItem {
  id: string;
  phash: string | null;
  detail: Int8Array | null;
  label: string;
  /** Source-qualified relative path; consecutive-shot detection reads its folder and number. */
  path: string;
}

export interface Pair {
  a: number;
  b: number;
  /** pHash Hamming distance. */
  distance: number;
  /** Fine-detail correlation (1 for exact duplicates). */
  detail: number;
  kind: 'exact' | 'near' | 'sequence';
}

export interface DuplicateFindings {
  /** Exact (same sha256) and confirmed near-duplicate pairs. */
  pairs: Pair[];
  /** pHash matches rejected by the detail check: same layout, different picture. */
  rejectedCandidates: number;
  /** Consecutive look-alike shots (not duplicates, but kept in one split). */
  sequencePairs: Pair[];
  /** Connected components of `pairs` (≥ 2 images), numbered from 1 in this order. */
  groups: number[][];
  /** Indices of groups (into `groups`) whose members carry more than one label. */
  conflictGroups: number[];
  /** What adjacent shots look like next to random same-class pairs (median pHash distance). */
  sequenceEvidence: { adjacentMedian: number | null; randomMedian: number | null; adjacentPairs: number };
}

export interface DedupOptions {
  hamming: number;
  minDetail: number;
  sequence: { enabled: boolean; hamming: number };
}

/**
 * Exact duplicates by sha256, near duplicates by a multi-index pHash search confirmed by the
 * fine-detail correlation, and look-alike consecutive shots. Sub-quadratic: the index only
 * compares hashes sharing a chunk within ⌊r/m⌋ bits.
 */
export function findDuplicates(items: DedupItem[], options: DedupOptions): DuplicateFindings {
  const pairs: Pair[] = [];
  const byId = new Map<string, number>();
  const exactOf = new Int32Array(items.length).fill(-1);
  items.forEach((item, i) => {
    if (item.phash === null) return;
    const first = byId.get(item.id);
    if (first === undefined) byId.set(item.id, i);
    else {
      exactOf[i] = first;
      pairs.push({ a: first, b: i, distance: 0, detail: 1, kind: 'exact' });
    }
  });

  // Index only one copy of each exact-duplicate set.
  const indexed = items.map((_, i) => i).filter((i) => items[i]!.phash !== null && exactOf[i] === -1);
  const index = indexHexHashes(
    indexed.map((i) => items[i]!.phash!),
    options.hamming,
  );
  let rejected = 0;
  visitNearDuplicates(
    index,
    (k) => items[indexed[k]!]!.detail!,
    options,
    (ka, kb, distance, detail, confirmed) => {
      if (confirmed) pairs.push({ a: indexed[ka]!, b: indexed[kb]!, distance, detail, kind: 'near' });
      else rejected++;
    },
  );
  // Copies of an exact duplicate share their original's near duplicates through the group.
  const uf = new UnionFind(items.length);
  for (const p of pairs) uf.union(p.a, p.b);
  const groups = uf.components(2);
  const conflictGroups = groups.flatMap((g, n) =>
    new Set(g.map((i) => items[i]!.label)).size > 1 ? [n] : [],
  );

  const { pairs: sequencePairs, evidence } = options.sequence.enabled
    ? consecutiveShots(items, index, indexed, options.sequence.hamming)
    : { pairs: [], evidence: { adjacentMedian: null, randomMedian: null, adjacentPairs: 0 } };
  return {
    pairs,
    rejectedCandidates: rejected,
    sequencePairs,
    groups,
    conflictGroups,
    sequenceEvidence: evidence,
  };
}

/**
 * Files in one folder named `<prefix><number>` are shots in order; neighbours in that order
 * (e.g. Class1_7, Class1_8 or IMG…0952, IMG…0958) that are close in pHash are linked, since a
 * leaf shot front then back, or twice in a row, leaks between splits.
 */
function consecutiveShots(items: DedupItem[], index: HashIndex, indexed: number[], radius: number) {
  const position = new Map<number, number>(indexed.map((i, k) => [i, k]));
  const runs = new Map<string, { n: number; i: number }[]>();
  items.forEach((item, i) => {
    if (!position.has(i)) return;
    const stem = basename(item.path).replace(/\.[^.]+$/, '');
    const m = /^(.*?)(\d+)$/.exec(stem);
    if (!m) return;
    const key = `${item.label}\0${dirname(item.path)}\0${m[1]}`;
    const run = runs.get(key) ?? [];
    run.push({ n: Number(m[2]), i });
    runs.set(key, run);
  });
  const pairs: Pair[] = [];
  const adjacent: number[] = [];
  const random: number[] = [];
  const rand = createRandom(0, 'consecutive-shots');
  for (const run of runs.values()) {
    run.sort((x, y) => x.n - y.n);
    for (let k = 0; k + 1 < run.length; k++) {
      const a = run[k]!.i;
      const b = run[k + 1]!.i;
      const distance = index.distance(position.get(a)!, position.get(b)!);
      adjacent.push(distance);
      const other = run[Math.floor(rand() * run.length)]!.i;
      if (other !== a) random.push(index.distance(position.get(a)!, position.get(other)!));
      if (distance <= radius) pairs.push({ a, b, distance, detail: Number.NaN, kind: 'sequence' });
    }
  }
  const median = (xs: number[]) => (xs.length ? xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]! : null);
  return {
    pairs,
    evidence: {
      adjacentMedian: median(adjacent),
      randomMedian: median(random),
      adjacentPairs: adjacent.length,
    },
  };
}
