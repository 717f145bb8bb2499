import { describe, expect, it } from 'vitest';
import {
  applyTemperature,
  backoffDelay,
  createRandom,
  fitTemperature,
  isImageFile,
  mapOrdered,
  mapPool,
  retry,
  shuffle,
} from '../src/index.js';

describe('createRandom', () => {
  it('gives the same stream for the same seed and key, and independent ones per key', () => {
    const a = Array.from({ length: 5 }, createRandom(42));
    expect(Array.from({ length: 5 }, createRandom(42))).toEqual(a);
    expect(Array.from({ length: 5 }, createRandom(42, 'report'))).not.toEqual(a);
    expect(Array.from({ length: 5 }, createRandom(42, 'report'))).not.toEqual(
      Array.from({ length: 5 }, createRandom(42, 'mint')),
    );
    // mulberry32(42): the stream augmentation views were cached with stays what it was.
    expect(createRandom(42)()).toBeCloseTo(0.6011037519201636, 15);
    for (const x of a) expect(x >= 0 && x < 1).toBe(true);
  });

  it('shuffles reproducibly and keeps every item', () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const once = shuffle([...items], createRandom(1, 'x'));
    expect(shuffle([...items], createRandom(1, 'x'))).toEqual(once);
    expect([...once].sort((a, b) => a - b)).toEqual(items);
    expect(once).not.toEqual(items);
  });
});

describe('retry', () => {
  it('repeats a failing call with doubling waits until it succeeds', async () => {
    const waits: number[] = [];
    let calls = 0;
    const value = await retry(
      async (attempt) => {
        calls++;
        if (attempt < 3) throw new Error(`fail ${attempt}`);
        return 'ok';
      },
      { attempts: 4, delayMs: 5, onRetry: (_e, _a, delay) => waits.push(delay) },
    );
    expect(value).toBe('ok');
    expect(calls).toBe(3);
    expect(waits).toEqual([5, 10]);
    expect(backoffDelay(4, { delayMs: 250, maxDelayMs: 1000 })).toBe(1000);
  });

  it('stops at once when the error is not retryable, and rethrows the last error when attempts run out', async () => {
    let calls = 0;
    const refused = await retry(
      async () => {
        calls++;
        throw new Error('not found');
      },
      { attempts: 5, delayMs: 1, retryable: () => false },
    ).catch((e: Error) => e.message);
    expect(refused).toBe('not found');
    expect(calls).toBe(1);
    const exhausted = await retry(
      async (attempt) => {
        throw new Error(`attempt ${attempt}`);
      },
      { attempts: 3, delayMs: 1 },
    ).catch((e: Error) => e.message);
    expect(exhausted).toBe('attempt 3');
  });
});

describe('pools', () => {
  it('keeps at most `concurrency` calls in flight and returns results in input order', async () => {
    let inFlight = 0;
    let most = 0;
    const work = async (n: number) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, (10 - n) * 2));
      inFlight--;
      return n * n;
    };
    const items = Array.from({ length: 10 }, (_, i) => i);
    expect(await mapPool(items, work, { concurrency: 3 })).toEqual(items.map((n) => n * n));
    expect(most).toBe(3);
    most = 0;
    const streamed: number[] = [];
    for await (const r of mapOrdered(items, work, 2)) streamed.push(r);
    expect(streamed).toEqual(items.map((n) => n * n));
    expect(most).toBe(2);
  });
});

describe('temperature scaling', () => {
  it('softens with T > 1, sharpens with T < 1, and keeps rows summing to 1', () => {
    const p = Float32Array.from([0.7, 0.2, 0.1, 0.1, 0.1, 0.8]);
    const soft = applyTemperature(p, 3, 2);
    const sharp = applyTemperature(p, 3, 0.5);
    expect(soft[0]!).toBeLessThan(0.7);
    expect(sharp[0]!).toBeGreaterThan(0.7);
    for (const q of [soft, sharp]) {
      expect(q[0]! + q[1]! + q[2]!).toBeCloseTo(1, 6);
      expect(q[3]! + q[4]! + q[5]!).toBeCloseTo(1, 6);
    }
    expect(Array.from(applyTemperature(p, 3, 1))).toEqual(Array.from(p).map((x) => Math.fround(x)));
    // A probability that underflowed to 0 stays finite and tiny after scaling.
    const zero = applyTemperature(Float32Array.from([1, 0]), 2, 1.5);
    expect(zero[1]!).toBeGreaterThan(0);
    expect(zero[1]!).toBeLessThan(1e-15);
  });

  it('fits T > 1 on over-confident predictions and T = 1 on none', () => {
    // Confident (0.95) but right only 60 % of the time: the fitted temperature softens.
    const probs: number[] = [];
    const actual: number[] = [];
    for (let i = 0; i < 100; i++) {
      probs.push(0.95, 0.05);
      actual.push(i % 5 < 3 ? 0 : 1);
    }
    expect(fitTemperature(probs, actual, 2)).toBeGreaterThan(2);
    expect(fitTemperature([], [], 2)).toBe(1);
  });
});

describe('image extensions', () => {
  it('recognises what sharp decodes, in any case', () => {
    expect(isImageFile('leaf.JPG')).toBe(true);
    expect(isImageFile('a/b.heic')).toBe(true);
    expect(isImageFile('notes.txt')).toBe(false);
  });
});
