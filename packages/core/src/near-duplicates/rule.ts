import type { HashIndex } from './hash-index.js';

/**
 * The near-duplicate rule the dataset stage groups photos with and evaluate re-checks the split
 * with (one rule, or the re-check could disagree with the split it checks): two photos are near
 * duplicates when their 64-bit pHashes are within `hamming` bits and their fine-detail signatures
 * correlate at least `minDetail`. pHash alone sees only the low-frequency layout, which on photos of
 * one object centred on a plain background is nearly the same for every photo.
 */
export interface NearDuplicateRule {
  hamming: number;
  minDetail: number;
}

/** Side and length of a fine-detail signature (32×32 int8, see the dataset's detailSignature). */
export const DETAIL_SIDE = 32;
export const DETAIL_LENGTH = DETAIL_SIDE * DETAIL_SIDE;

/** Cosine similarity of two int8 detail signatures (quantisation makes it exact up to ~1e-3). */
export function detailCorrelation(a: Int8Array, b: Int8Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/**
 * Visits every pair of hashes in `index` (built with radius `rule.hamming`) that pHash calls
 * candidates, with their detail correlation and whether the rule confirms them. Sub-quadratic
 * through the multi-index hash.
 */
export function visitNearDuplicates(
  index: HashIndex,
  detailOf: (k: number) => Int8Array,
  rule: NearDuplicateRule,
  visit: (ka: number, kb: number, distance: number, detail: number, confirmed: boolean) => void,
): void {
  if (index.radius !== rule.hamming)
    throw new RangeError(`index radius ${index.radius} is not the rule's Hamming radius ${rule.hamming}`);
  index.pairs((ka, kb, distance) => {
    const detail = detailCorrelation(detailOf(ka), detailOf(kb));
    visit(ka, kb, distance, detail, detail >= rule.minDetail);
  });
}
