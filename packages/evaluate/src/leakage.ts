import {
  indexHexHashes,
  type LeakPair,
  type ManifestRecord,
  type NearDuplicateRule,
  visitNearDuplicates,
} from '@plantid/core';

export type LeakCheckRecord = Pick<ManifestRecord, 'id' | 'path' | 'phash' | 'split'>;

/**
 * Test images that are exact or near duplicates of training images, by the rule the dataset
 * stage groups photos with (core's `visitNearDuplicates`): a re-check of the split it made.
 */
export function findTrainTestLeaks(
  records: readonly LeakCheckRecord[],
  signatures: readonly Int8Array[],
  rule: NearDuplicateRule,
): { pairs: LeakPair[]; checked: number; unhashed: number } {
  const pairs: LeakPair[] = [];
  const trainById = new Map<string, LeakCheckRecord>();
  for (const r of records) if (r.split === 'train') trainById.set(r.id, r);

  const indexed: number[] = [];
  let checked = 0;
  let unhashed = 0;
  records.forEach((r, i) => {
    if (r.split !== 'train' && r.split !== 'test') return;
    if (r.split === 'test') {
      checked++;
      const twin = trainById.get(r.id);
      if (twin) pairs.push({ test: r.path, train: twin.path, distance: 0, detail: 1 });
    }
    if (r.phash) indexed.push(i);
    else if (r.split === 'test') unhashed++;
  });

  const index = indexHexHashes(
    indexed.map((i) => records[i]!.phash!),
    rule.hamming,
  );
  visitNearDuplicates(
    index,
    (k) => signatures[indexed[k]!]!,
    rule,
    (ka, kb, distance, detail, confirmed) => {
      const a = records[indexed[ka]!]!;
      const b = records[indexed[kb]!]!;
      if (!confirmed || a.split === b.split || a.id === b.id) return;
      const [test, train] = a.split === 'test' ? [a, b] : [b, a];
      pairs.push({ test: test.path, train: train.path, distance, detail });
    },
  );
  return { pairs: pairs.sort((x, y) => x.distance - y.distance || y.detail - x.detail), checked, unhashed };
}
