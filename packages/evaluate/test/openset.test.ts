import { describe, expect, it } from 'vitest';
import { chooseThresholds, countStatuses, type ScoredSet } from '../src/openset/rule.js';
import { auroc, fprAtTpr, quantile } from '../src/openset/separation.js';

const set = (scores: number[], confidence: number[], actual: number[] | null): ScoredSet => ({
  scores: Float64Array.from(scores),
  confidence: Float64Array.from(confidence),
  predicted: Int32Array.from(scores.map(() => 0)),
  actual: actual ? Int32Array.from(actual) : null,
});

describe('separation', () => {
  it('matches numpy quantiles and the Mann–Whitney AUROC', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([0, 10], 0.01)).toBeCloseTo(0.1, 9);
    expect(auroc([3, 4], [1, 2])).toBe(1);
    expect(auroc([1, 2], [1, 2])).toBe(0.5);
    expect(fprAtTpr([0.9, 0.95, 1, 1], [0.1, 0.97, 0.2, 0.3])).toBe(0.25);
  });
});

describe('threshold rule', () => {
  const val = set(
    Array.from({ length: 100 }, (_, i) => 0.5 + i / 200),
    Array.from({ length: 100 }, (_, i) => 0.5 + i / 200),
    Array.from({ length: 100 }, () => 0),
  );
  it('keeps the largest val share whose gate leaves the target of negatives not identified', () => {
    const far = set([0.1, 0.2, 0.3, 0.4], [0.99, 0.99, 0.99, 0.99], null);
    const r = chooseThresholds(val, far, { valKeeps: [0.97, 0.99], valKeepsConfidence: 0.98, target: 0.95 });
    expect(r.valKeepsOpen).toBe(0.99);
    expect(r.negativesNotIdentified).toBe(1);
    expect(r.thresholds.open).toBeCloseTo(quantile(val.scores, 0.01), 9);
  });
  it('tries smaller shares when negatives look known, and says when none reaches the target', () => {
    const near = set([0.51, 0.52, 0.99, 0.995], [0.999, 0.999, 0.999, 0.999], null);
    const r = chooseThresholds(val, near, { valKeeps: [0.99, 0.97], valKeepsConfidence: 0.98, target: 0.95 });
    expect(r.valKeepsOpen).toBe(0.97);
    expect(r.missed).toBe(true);
    const counts = countStatuses(near, r.thresholds);
    expect(counts.identified + counts.uncertain + counts.notRecognized).toBe(4);
  });
});
