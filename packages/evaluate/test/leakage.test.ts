import { DETAIL_LENGTH } from '@plantid/core';
import { describe, expect, it } from 'vitest';
import { findTrainTestLeaks, type LeakCheckRecord } from '../src/index.js';

function signature(seed: number): Int8Array {
  let x = seed * 2654435761;
  return Int8Array.from({ length: DETAIL_LENGTH }, () => {
    x = (x * 1103515245 + 12345) >>> 0;
    return ((x >>> 16) % 255) - 127;
  });
}

describe('findTrainTestLeaks', () => {
  const records: LeakCheckRecord[] = [
    { id: 't1', path: 'a/train1.jpg', phash: 'a5a5a5a5a5a5a5a5', split: 'train' },
    { id: 't2', path: 'b/train2.jpg', phash: '0f0f0f0f0f0f0f0f', split: 'train' },
    { id: 'v1', path: 'a/val1.jpg', phash: 'a5a5a5a5a5a5a5a4', split: 'val' },
    { id: 'x1', path: 'a/test-copy-of-train1.jpg', phash: 'a5a5a5a5a5a5a5a2', split: 'test' },
    { id: 'x2', path: 'a/test-same-layout.jpg', phash: 'a5a5a5a5a5a5a5a7', split: 'test' },
    { id: 'x3', path: 'b/test-far.jpg', phash: 'f0f0f0f0f0f0f0f0', split: 'test' },
    { id: 't2', path: 'b/test-same-bytes.jpg', phash: '0f0f0f0f0f0f0f0f', split: 'test' },
    { id: 'x4', path: 'b/no-hash.jpg', phash: null, split: 'test' },
    { id: 'x5', path: 'b/excluded.jpg', phash: 'a5a5a5a5a5a5a5a5', split: null },
  ];
  // x1 is train1 re-encoded (same detail); x2 has train1's layout but is another picture.
  const signatures = records.map((_, i) => signature(i + 1));
  signatures[3] = signatures[0]!;
  signatures[8] = signatures[0]!;

  it('reports exact copies and pHash neighbours confirmed by fine detail, nothing else', () => {
    const found = findTrainTestLeaks(records, signatures, { hamming: 6, minDetail: 0.9 });
    expect(found.pairs).toEqual([
      { test: 'b/test-same-bytes.jpg', train: 'b/train2.jpg', distance: 0, detail: 1 },
      { test: 'a/test-copy-of-train1.jpg', train: 'a/train1.jpg', distance: 3, detail: 1 },
    ]);
    expect(found.checked).toBe(5);
    expect(found.unhashed).toBe(1);
  });

  it('honours the Hamming radius', () => {
    const found = findTrainTestLeaks(records, signatures, { hamming: 2, minDetail: 0.9 });
    expect(found.pairs.map((p) => p.test)).toEqual(['b/test-same-bytes.jpg']);
  });
});
