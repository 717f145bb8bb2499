import { describe, expect, it } from 'vitest';
import { decodeFloat16, encodeFloat16, fromFloat16Bits, toFloat16Bits } from '../src/index.js';

describe('float16 encoding', () => {
  it('rounds to nearest even and handles the edges', () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(70000)).toBe(0x7c00);
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001);
    expect(toFloat16Bits(2 ** -26)).toBe(0);
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(Number.NaN)))).toBe(true);
    for (const x of [0.1, -3.25, 7e-5, 123.456])
      expect(Math.abs(fromFloat16Bits(toFloat16Bits(x)) - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -11);
    // Subnormals keep an absolute precision of half the smallest step.
    expect(Math.abs(fromFloat16Bits(toFloat16Bits(1e-5)) - 1e-5)).toBeLessThanOrEqual(2 ** -25);
  });
});

describe('float16 arrays', () => {
  it('round-trip through little-endian bytes within half-precision steps', () => {
    const values = Float32Array.from([0, 1, -2, 0.333, 1e-3, 65504, -0.0625]);
    const bytes = encodeFloat16(values);
    expect(bytes.byteLength).toBe(values.length * 2);
    expect([bytes[2], bytes[3]]).toEqual([0x00, 0x3c]); // 1.0 = 0x3c00, low byte first
    const back = decodeFloat16(bytes);
    for (const [i, v] of values.entries())
      expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11);
  });

  it('refuses an odd byte count', () => {
    expect(() => decodeFloat16(new Uint8Array(3))).toThrow(/odd byte count/);
  });
});
