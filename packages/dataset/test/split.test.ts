import { type Split, sha256 } from '@plantid/core';
import { describe, expect, it } from 'vitest';
import type { Pair } from '../src/duplicates.js';
import { assignSplits, type SplitItem } from '../src/split.js';

const ratios = { train: 0.7, val: 0.15, test: 0.15 };

/** `perClass` photos of each of `classes` labels; keys stand in for the photos' sha256. */
function photos(classes: number, perClass: number, batch = 'a'): SplitItem[] {
  return Array.from({ length: classes * perClass }, (_, i) => ({
    key: sha256(`${batch}-${i}`),
    label: `class ${i % classes}`,
    eligible: true,
    fixedSplit: null,
  }));
}

const splitOf = (items: SplitItem[], splits: (Split | null)[]) =>
  new Map(items.map((item, i) => [item.key, splits[i]]));

describe('assignSplits', () => {
  it('keeps every earlier photo in its split when photos are added, wherever they are listed', () => {
    const before = photos(10, 60);
    const first = splitOf(before, assignSplits(before, [], ratios, 42));
    // A retrain: 30 % more photos, listed first, and the old ones in reverse order.
    const after = [...photos(10, 18, 'feedback'), ...before.slice().reverse()];
    const second = splitOf(after, assignSplits(after, [], ratios, 42));
    for (const [key, split] of first) expect(second.get(key)).toBe(split);
    // The added photos are spread over all three splits too.
    const added = after.slice(0, 180).map((item) => second.get(item.key));
    expect(new Set(added)).toEqual(new Set(['train', 'val', 'test']));
  });

  it('is stratified: each label gets its share of every split, up to sampling noise', () => {
    const items = photos(20, 150);
    const splits = assignSplits(items, [], ratios, 7);
    for (let c = 0; c < 20; c++) {
      const mine = splits.filter((_, i) => items[i]!.label === `class ${c}`);
      for (const s of ['train', 'val', 'test'] as const) {
        const share = mine.filter((x) => x === s).length / mine.length;
        // 150 draws: the binomial standard deviation of a 0.15 share is 0.03.
        expect(Math.abs(share - ratios[s]), `class ${c} ${s}`).toBeLessThan(0.12);
      }
    }
    const trainShare = splits.filter((s) => s === 'train').length / splits.length;
    expect(trainShare).toBeGreaterThan(0.67);
    expect(trainShare).toBeLessThan(0.73);
  });

  it('gives a small label every split when it has a photo for each', () => {
    for (let seed = 0; seed < 50; seed++) {
      const items = photos(1, 3, `small-${seed}`);
      expect(new Set(assignSplits(items, [], ratios, seed)), `seed ${seed}`).toEqual(
        new Set(['train', 'val', 'test']),
      );
    }
  });

  it('keeps linked photos together, even through an excluded one, and leaves excluded photos out', () => {
    const items = photos(2, 40);
    items[5] = { ...items[5]!, eligible: false };
    const links: Pair[] = [
      { a: 1, b: 5, kind: 'near', distance: 3, detail: 0.9 },
      { a: 5, b: 9, kind: 'sequence', distance: 9, detail: 0.8 },
      { a: 9, b: 13, kind: 'exact', distance: 0, detail: 1 },
    ];
    for (let seed = 0; seed < 20; seed++) {
      const splits = assignSplits(items, links, ratios, seed);
      expect(splits[5]).toBeNull();
      expect(new Set([splits[1], splits[9], splits[13]]).size).toBe(1);
    }
  });

  it('follows the seed, and honours splits fixed by a manifest', () => {
    const items = photos(4, 50);
    const a = assignSplits(items, [], ratios, 1);
    const b = assignSplits(items, [], ratios, 2);
    expect(a.filter((s, i) => s !== b[i]).length).toBeGreaterThan(20);
    const fixed = items.map((item, i) => (i < 10 ? { ...item, fixedSplit: 'test' as const } : item));
    expect(assignSplits(fixed, [], ratios, 1).slice(0, 10)).toEqual(Array(10).fill('test'));
  });

  it('leaves out a split whose ratio is 0', () => {
    const items = photos(3, 30);
    expect(new Set(assignSplits(items, [], { train: 0.8, val: 0.2, test: 0 }, 3))).toEqual(
      new Set(['train', 'val']),
    );
  });
});
