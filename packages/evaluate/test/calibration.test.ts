import { applyTemperature, createRandom, fitTemperature } from '@plantid/core';
import { describe, expect, it } from 'vitest';
import { expectedCalibrationError } from '../src/index.js';

/** Deterministic PRNG (core's mulberry32) so the constructed cases are the same every run. */
const rng = (seed: number) => createRandom(seed);

function softmax(z: number[], t = 1): number[] {
  const m = Math.max(...z.map((v) => v / t));
  const e = z.map((v) => Math.exp(v / t - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe('expected calibration error', () => {
  it('matches the hand computation on two occupied bins', () => {
    // 10 predictions at confidence 0.9 (bin (0.867, 0.933]), 6 right: gap 0.3.
    // 10 predictions at confidence 0.55 (bin (0.533, 0.6]), 5 right: gap 0.05. ECE = ½·0.3 + ½·0.05.
    const probs: number[] = [];
    const actual: number[] = [];
    for (let i = 0; i < 10; i++) {
      probs.push(0.9, 0.1);
      actual.push(i < 6 ? 0 : 1);
    }
    for (let i = 0; i < 10; i++) {
      probs.push(0.45, 0.55);
      actual.push(i < 5 ? 1 : 0);
    }
    const { ece, bins } = expectedCalibrationError(Float32Array.from(probs), actual, 2, 15);
    expect(ece).toBeCloseTo(0.175, 6);
    expect(bins).toHaveLength(15);
    const occupied = bins.filter((b) => b.count > 0);
    expect(occupied.map((b) => [b.count, b.accuracy])).toEqual([
      [10, 0.5],
      [10, 0.6],
    ]);
    expect(occupied[0]!.lo).toBeCloseTo(8 / 15, 10);
    expect(occupied[1]!.hi).toBeCloseTo(14 / 15, 10);
  });

  it('is zero for a perfectly calibrated case', () => {
    const probs = Float32Array.from([0.75, 0.25, 0.75, 0.25, 0.75, 0.25, 0.75, 0.25]);
    expect(expectedCalibrationError(probs, [0, 0, 0, 1], 2, 15).ece).toBeCloseTo(0, 10);
  });
});

describe('temperature scaling', () => {
  /** Labels drawn from softmax(z / trueT); the "model" reports softmax(z) (overconfident when trueT > 1). */
  function overconfident(trueT: number, n: number, classes: number, seed: number) {
    const random = rng(seed);
    const probs: number[] = [];
    const actual: number[] = [];
    for (let i = 0; i < n; i++) {
      const z = Array.from({ length: classes }, () => (random() - 0.5) * 12);
      const truth = softmax(z, trueT);
      let u = random();
      let label = classes - 1;
      for (let c = 0; c < classes; c++) {
        u -= truth[c]!;
        if (u <= 0) {
          label = c;
          break;
        }
      }
      probs.push(...softmax(z));
      actual.push(label);
    }
    return { probs: Float32Array.from(probs), actual };
  }

  it('recovers the temperature of an overconfident model and lowers its ECE', () => {
    const { probs, actual } = overconfident(2, 6000, 5, 7);
    const t = fitTemperature(probs, actual, 5);
    expect(t).toBeGreaterThan(1.8);
    expect(t).toBeLessThan(2.2);
    const before = expectedCalibrationError(probs, actual, 5).ece;
    const after = expectedCalibrationError(applyTemperature(probs, 5, t), actual, 5).ece;
    expect(before).toBeGreaterThan(0.08);
    expect(after).toBeLessThan(before / 3);
  });

  it('leaves a calibrated model near T = 1', () => {
    const { probs, actual } = overconfident(1, 6000, 5, 11);
    const t = fitTemperature(probs, actual, 5);
    expect(Math.abs(t - 1)).toBeLessThan(0.1);
  });

  it('softens with T > 1, sharpens with T < 1, and keeps rows summing to 1 and the argmax', () => {
    const p = Float32Array.from([0.7, 0.2, 0.1]);
    const soft = applyTemperature(p, 3, 2);
    const sharp = applyTemperature(p, 3, 0.5);
    expect(soft[0]).toBeLessThan(0.7);
    expect(sharp[0]).toBeGreaterThan(0.7);
    // softmax(log p / 2) ∝ sqrt(p)
    const s = Math.sqrt(0.7) + Math.sqrt(0.2) + Math.sqrt(0.1);
    expect(soft[0]).toBeCloseTo(Math.sqrt(0.7) / s, 6);
    expect(soft.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(applyTemperature(p, 3, 1)[1]).toBeCloseTo(0.2, 6);
  });
});
