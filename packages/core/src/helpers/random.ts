import { sha256 } from '../hash.js';

/**
 * A seeded uniform [0, 1) generator (mulberry32): small, fast, the same sequence on every platform.
 * `createRandom(seed)` starts from the seed itself (augmentation views, shuffles); with a `key`
 * the start is derived from hash(seed, key), so one run seed gives independent streams per purpose
 * (`createRandom(seed, 'report')`, one per class, …).
 */
export function createRandom(seed: number, key?: string): () => number {
  let state =
    key === undefined ? seed >>> 0 : (Number.parseInt(sha256(`${seed}:${key}`).slice(0, 8), 16) ^ seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates in place with `random`; returns `items`. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
