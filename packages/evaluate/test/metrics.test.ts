import { describe, expect, it } from 'vitest';
import {
  computeSplitMetrics,
  confusionMatrix,
  macroAverage,
  mostConfused,
  perClassMetrics,
  predictions,
  topKAccuracy,
  weightedAverage,
} from '../src/index.js';

// Ten images of three classes A, B, C. Rows: true class, probabilities [A, B, C].
//  A ×5: four right, one taken for B (A is second choice)
//  B ×3: two right, one taken for A (B is third choice)
//  C ×2: one right, one taken for A (C is second choice)
const rows: [number, number[]][] = [
  [0, [0.7, 0.2, 0.1]],
  [0, [0.8, 0.1, 0.1]],
  [0, [0.6, 0.3, 0.1]],
  [0, [0.9, 0.05, 0.05]],
  [0, [0.3, 0.6, 0.1]],
  [1, [0.1, 0.8, 0.1]],
  [1, [0.2, 0.7, 0.1]],
  [1, [0.5, 0.2, 0.3]],
  [2, [0.1, 0.1, 0.8]],
  [2, [0.7, 0.1, 0.2]],
];
const actual = rows.map(([a]) => a);
const probs = Float32Array.from(rows.flatMap(([, p]) => p));
const labels = [
  { index: 0, id: 'a', name: 'A' },
  { index: 1, id: 'b', name: 'B' },
  { index: 2, id: 'c', name: 'C' },
];

describe('classification metrics on a hand-checked 3-class case', () => {
  const matrix = confusionMatrix(actual, predictions(probs, 3), 3);

  it('builds the confusion matrix (rows true, columns predicted)', () => {
    expect(matrix).toEqual([
      [4, 1, 0],
      [1, 2, 0],
      [1, 0, 1],
    ]);
  });

  it('computes precision, recall, F1 and support per class', () => {
    // By hand: A P=4/6 R=4/5 F1=2·(2/3)(4/5)/(2/3+4/5)=8/11; B P=2/3 R=2/3 F1=2/3; C P=1/1 R=1/2 F1=2/3.
    const m = perClassMetrics(matrix);
    expect(m.map((c) => c.support)).toEqual([5, 3, 2]);
    expect(m[0]!.precision).toBeCloseTo(4 / 6, 10);
    expect(m[0]!.recall).toBeCloseTo(4 / 5, 10);
    expect(m[0]!.f1).toBeCloseTo(8 / 11, 10);
    expect(m[1]!.precision).toBeCloseTo(2 / 3, 10);
    expect(m[1]!.recall).toBeCloseTo(2 / 3, 10);
    expect(m[1]!.f1).toBeCloseTo(2 / 3, 10);
    expect(m[2]!.precision).toBeCloseTo(1, 10);
    expect(m[2]!.recall).toBeCloseTo(1 / 2, 10);
    expect(m[2]!.f1).toBeCloseTo(2 / 3, 10);
  });

  it('averages them unweighted (macro) and by support (weighted)', () => {
    const m = perClassMetrics(matrix);
    const macro = macroAverage(m);
    expect(macro.precision).toBeCloseTo((4 / 6 + 2 / 3 + 1) / 3, 10);
    expect(macro.recall).toBeCloseTo((4 / 5 + 2 / 3 + 1 / 2) / 3, 10);
    expect(macro.f1).toBeCloseTo((8 / 11 + 2 / 3 + 2 / 3) / 3, 10);
    const weighted = weightedAverage(m);
    expect(weighted.precision).toBeCloseTo(((4 / 6) * 5 + (2 / 3) * 3 + 1 * 2) / 10, 10);
    // Weighted recall is accuracy.
    expect(weighted.recall).toBeCloseTo(7 / 10, 10);
    expect(weighted.f1).toBeCloseTo(((8 / 11) * 5 + (2 / 3) * 3 + (2 / 3) * 2) / 10, 10);
  });

  it('counts top-k hits', () => {
    expect(topKAccuracy(probs, actual, 3, 1)).toBeCloseTo(0.7, 10);
    // Misses: A→B (A second: hit at k=2), B→A (B third: miss), C→A (C second: hit).
    expect(topKAccuracy(probs, actual, 3, 2)).toBeCloseTo(0.9, 10);
    expect(topKAccuracy(probs, actual, 3, 3)).toBe(1);
  });

  it('lists the most confused pairs like fastai, largest first', () => {
    expect(
      mostConfused([
        [5, 3, 0],
        [0, 4, 1],
        [2, 0, 6],
      ]),
    ).toEqual([
      { actual: 0, predicted: 1, count: 3 },
      { actual: 2, predicted: 0, count: 2 },
      { actual: 1, predicted: 2, count: 1 },
    ]);
    expect(
      mostConfused(
        [
          [5, 3, 0],
          [0, 4, 1],
          [2, 0, 6],
        ],
        2,
      ),
    ).toHaveLength(2);
  });

  it('puts it together per split with class names', () => {
    const s = computeSplitMetrics(probs, actual, labels, [1, 2], 1);
    expect(s.count).toBe(10);
    expect(s.top1).toBeCloseTo(0.7, 10);
    expect(s.topK).toEqual({ '1': expect.closeTo(0.7, 6), '2': expect.closeTo(0.9, 6) });
    expect(s.perClass.map((c) => [c.name, c.support])).toEqual([
      ['A', 5],
      ['B', 3],
      ['C', 2],
    ]);
    expect(s.mostConfused).toEqual([
      { actual: 'A', predicted: 'B', count: 1 },
      { actual: 'B', predicted: 'A', count: 1 },
      { actual: 'C', predicted: 'A', count: 1 },
    ]);
    // T = 1 changes nothing.
    expect(s.eceCalibrated).toBeCloseTo(s.ece, 6);
    const meanNll = -rows.reduce((sum, [a, p]) => sum + Math.log(p[a]!), 0) / 10;
    expect(s.logLoss).toBeCloseTo(meanNll, 6);
  });
});
