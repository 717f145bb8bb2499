import { describe, expect, it } from 'vitest';
import { createRandom, HashIndex, hamming, popcount32 } from '../src/index.js';

function randomHashes(n: number, seed: number) {
  const rand = createRandom(seed, '');
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    hi[i] = Math.floor(rand() * 2 ** 32);
    lo[i] = Math.floor(rand() * 2 ** 32);
    // Every 10th hash is a noisy copy of an earlier one, so there are neighbours to find.
    if (i > 0 && i % 10 === 0) {
      const src = Math.floor(rand() * i);
      hi[i] = hi[src]!;
      lo[i] = lo[src]!;
      for (let f = Math.floor(rand() * 12); f > 0; f--) {
        const bit = Math.floor(rand() * 64);
        if (bit < 32) hi[i]! ^= 1 << bit;
        else lo[i]! ^= 1 << (bit - 32);
      }
    }
  }
  return { hi, lo };
}

describe('multi-index hashing', () => {
  for (const radius of [0, 3, 6, 10, 14]) {
    it(`finds exactly the brute-force pairs within radius ${radius}`, () => {
      const n = 3000;
      const { hi, lo } = randomHashes(n, radius + 1);
      const expected: string[] = [];
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          if (popcount32(hi[i]! ^ hi[j]!) + popcount32(lo[i]! ^ lo[j]!) <= radius) expected.push(`${i}-${j}`);
        }
      }
      const found: string[] = [];
      new HashIndex(hi, lo, radius).pairs((i, j) => found.push(`${i}-${j}`));
      expect(found.sort()).toEqual(expected.sort());
      expect(expected.length).toBeGreaterThan(radius === 0 ? 0 : 10);
    });
  }

  it('measures Hamming distance on hex hashes', () => {
    expect(hamming('0000000000000000', 'ffffffffffffffff')).toBe(64);
    expect(hamming('8000000000000001', '0000000000000000')).toBe(2);
    expect(() => hamming('xyz', '0000000000000000')).toThrow(/not a 64-bit hex hash/);
  });
});
