import { sha256 } from '@plantid/core';

/** mulberry32: a small, fast, seedable PRNG; the same seed and key give the same stream. */
export function seededRandom(seed: number, key = ''): () => number {
  let state = (Number.parseInt(sha256(`${seed}:${key}`).slice(0, 8), 16) ^ seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
