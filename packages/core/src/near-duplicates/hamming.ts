/** A 64-bit hash as two unsigned 32-bit halves; JS numbers keep popcounts fast (no BigInt). */
export interface Hash64 {
  hi: number;
  lo: number;
}

export function popcount32(x: number): number {
  let v = x >>> 0;
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

export function parseHash64(hex: string): Hash64 {
  if (!/^[0-9a-f]{16}$/i.test(hex)) throw new TypeError(`not a 64-bit hex hash: ${JSON.stringify(hex)}`);
  return { hi: Number.parseInt(hex.slice(0, 8), 16) >>> 0, lo: Number.parseInt(hex.slice(8), 16) >>> 0 };
}

export function formatHash64(hash: Hash64): string {
  return (hash.hi >>> 0).toString(16).padStart(8, '0') + (hash.lo >>> 0).toString(16).padStart(8, '0');
}

/** Number of differing bits between two 64-bit hashes given as 16-char hex strings. */
export function hamming(a: string, b: string): number {
  const x = parseHash64(a);
  const y = parseHash64(b);
  return popcount32(x.hi ^ y.hi) + popcount32(x.lo ^ y.lo);
}
