import { describe, expect, it } from 'vitest';
import { checkGate, describeFailures, findLeaks, hammingHex } from '../src/index.js';

describe('gate', () => {
  const input = {
    top1: 0.9,
    recalls: [
      { name: 'Lagundi', recall: 0.95 },
      { name: 'Oregano', recall: 0.6 },
    ],
    ece: 0.04,
  };

  it('passes when every configured threshold holds, and with no thresholds', () => {
    expect(checkGate({ top1: 0.85, minRecall: 0.5, maxEce: 0.05 }, input).passed).toBe(true);
    expect(checkGate({}, input)).toEqual({ passed: true, checks: [] });
  });

  it('says which threshold failed and by how much', () => {
    const result = checkGate({ top1: 0.9999, minRecall: 0.7, maxEce: 0.03 }, input);
    expect(result.passed).toBe(false);
    expect(describeFailures(result)).toEqual([
      'evaluate.gate.top1: test top-1 is 90.00%, below the required 99.99% by 9.99%',
      'evaluate.gate.minRecall: recall of "Oregano" is 60.00%, below the required 70.00% by 10.00%',
      'evaluate.gate.maxEce: test ECE after temperature scaling is 0.0400, above the allowed 0.0300 by 0.0100',
    ]);
    const top1 = result.checks.find((c) => c.key === 'evaluate.gate.top1')!;
    expect(top1.shortfall).toBeCloseTo(0.0999, 10);
  });
});

describe('leakage re-check', () => {
  it('measures Hamming distance between 64-bit hex hashes', () => {
    expect(hammingHex('0000000000000000', '0000000000000000')).toBe(0);
    expect(hammingHex('ffffffffffffffff', '0000000000000000')).toBe(64);
    expect(hammingHex('8000000000000001', '0000000000000000')).toBe(2);
    expect(hammingHex('00000000f0000000', '0000000000000000')).toBe(4);
    expect(() => hammingHex('xyz', '0000000000000000')).toThrow(/not a 64-bit hex hash/);
  });

  it('finds test images within the radius of a training image, and exact duplicates', () => {
    const records = [
      { id: 't1', path: 'a/train1.jpg', phash: 'a5a5a5a5a5a5a5a5', split: 'train' },
      { id: 't2', path: 'b/train2.jpg', phash: '0f0f0f0f0f0f0f0f', split: 'train' },
      { id: 'v1', path: 'a/val1.jpg', phash: 'a5a5a5a5a5a5a5a4', split: 'val' },
      { id: 'x1', path: 'a/test-near.jpg', phash: 'a5a5a5a5a5a5a5a2', split: 'test' }, // 3 bits from train1
      { id: 'x2', path: 'b/test-far.jpg', phash: 'f0f0f0f0f0f0f0f0', split: 'test' },
      { id: 't2', path: 'b/test-copy.jpg', phash: '0f0f0f0f0f0f0f0f', split: 'test' }, // same bytes as train2
      { id: 'x3', path: 'b/no-hash.jpg', phash: null, split: 'test' },
      { id: 'x4', path: 'b/excluded.jpg', phash: 'a5a5a5a5a5a5a5a5', split: null },
    ];
    const found = findLeaks(records, 6);
    expect(found.pairs).toEqual([
      { test: 'b/test-copy.jpg', train: 'b/train2.jpg', distance: 0 },
      { test: 'a/test-near.jpg', train: 'a/train1.jpg', distance: 3 },
    ]);
    expect(found.checked).toBe(4);
    expect(found.unhashed).toBe(1);
    expect(findLeaks(records, 2).pairs).toHaveLength(1);
  });
});
