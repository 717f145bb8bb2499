import { sha256 } from '@plantid/core';

/** A seeded uniform [0, 1) generator (mulberry32): small, fast, same sequence on every platform. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of augmented view `view` of image `imageId` under run seed `seed`: stable across runs and machines. */
export function viewSeed(seed: number, imageId: string, view: number): number {
  return Number.parseInt(sha256(`${seed}:${imageId}:${view}`).slice(0, 8), 16);
}

export function uniform(random: () => number, lo: number, hi: number): number {
  return lo + (hi - lo) * random();
}
