import { sha256 } from '@plantid/core';

/** The seed of augmented view `view` of image `imageId` under run seed `seed`: stable across runs and machines. */
export function viewSeed(seed: number, imageId: string, view: number): number {
  return Number.parseInt(sha256(`${seed}:${imageId}:${view}`).slice(0, 8), 16);
}

export function uniform(random: () => number, lo: number, hi: number): number {
  return lo + (hi - lo) * random();
}
