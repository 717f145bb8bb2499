import { popcount32 } from './hamming.js';

/**
 * Multi-index hashing (Norouzi et al., 2012) over 64-bit hashes for Hamming-radius search.
 * The 64 bits are cut into m chunks; if two hashes differ in at most r bits, some chunk
 * differs in at most ⌊r/m⌋ bits (pigeonhole), so candidates come from probing every chunk
 * table with the keys within ⌊r/m⌋ of the query chunk, then checked on all 64 bits.
 * Chunk width follows log2(n), so buckets stay small from a few images to millions.
 */
export class HashIndex {
  readonly size: number;
  private readonly hi: Uint32Array;
  private readonly lo: Uint32Array;
  private readonly chunks: {
    shift: number;
    bits: number;
    offsets: Uint32Array;
    ids: Uint32Array;
    his: Uint32Array;
    los: Uint32Array;
    masks: Uint32Array;
  }[] = [];
  private readonly stamp: Int32Array;

  constructor(hi: Uint32Array, lo: Uint32Array, radius: number) {
    this.size = hi.length;
    this.hi = hi;
    this.lo = lo;
    this.stamp = new Int32Array(this.size).fill(-1);
    const n = Math.max(2, this.size);
    const targetBits = Math.min(24, Math.max(8, Math.ceil(Math.log2(n))));
    // Enough chunks that each probes at most 2 bits of slack, never fewer than fit the bit width.
    const m = Math.max(Math.ceil(64 / targetBits), Math.ceil((radius + 1) / 3));
    this.radius = radius;
    this.chunkCount = m;
    let shift = 0;
    for (let c = 0; c < m; c++) {
      const bits = Math.floor(64 / m) + (c < 64 % m ? 1 : 0);
      this.chunks.push(this.buildTable(shift, bits));
      shift += bits;
    }
  }

  readonly radius: number;
  private readonly chunkCount: number;

  /** Bits [shift, shift+bits) of hash i, counted from the most significant bit. */
  private chunkOf(hi: number, lo: number, shift: number, bits: number): number {
    // Take a 64-bit window as two halves; bits ≤ 24 so the result fits a number exactly.
    const end = shift + bits;
    let value = 0;
    for (let b = shift; b < end; b++) {
      const bit = b < 32 ? (hi >>> (31 - b)) & 1 : (lo >>> (63 - b)) & 1;
      value = value * 2 + bit;
    }
    return value;
  }

  private buildTable(shift: number, bits: number) {
    const keys = new Uint32Array(this.size);
    const counts = new Uint32Array((1 << bits) + 1);
    for (let i = 0; i < this.size; i++) {
      const key = this.chunkOf(this.hi[i]!, this.lo[i]!, shift, bits);
      keys[i] = key;
      counts[key + 1]!++;
    }
    for (let k = 1; k < counts.length; k++) counts[k]! += counts[k - 1]!;
    const offsets = counts;
    const fill = offsets.slice(0, -1);
    const ids = new Uint32Array(this.size);
    for (let i = 0; i < this.size; i++) ids[fill[keys[i]!]!++] = i;
    const his = new Uint32Array(this.size);
    const los = new Uint32Array(this.size);
    for (let p = 0; p < this.size; p++) {
      his[p] = this.hi[ids[p]!]!;
      los[p] = this.lo[ids[p]!]!;
    }
    return {
      shift,
      bits,
      offsets,
      ids,
      his,
      los,
      masks: masksWithin(bits, Math.floor(this.radius / this.chunkCount)),
    };
  }

  distance(i: number, j: number): number {
    return popcount32(this.hi[i]! ^ this.hi[j]!) + popcount32(this.lo[i]! ^ this.lo[j]!);
  }

  /** Calls `found(j, d)` for every indexed j ≠ i within the radius of hash i (each j once). */
  neighbours(i: number, found: (j: number, distance: number) => void): void {
    const hi = this.hi[i]!;
    const lo = this.lo[i]!;
    const { stamp, radius } = this;
    stamp[i] = i;
    for (const chunk of this.chunks) {
      const key = this.chunkOf(hi, lo, chunk.shift, chunk.bits);
      const { offsets, ids, masks, his, los } = chunk;
      for (let m = 0; m < masks.length; m++) {
        const probe = key ^ masks[m]!;
        const end = offsets[probe + 1]!;
        // Hashes are stored in bucket order, so the scan reads memory sequentially; the
        // seen-stamp (a random access) is only touched for the rare true neighbours.
        for (let p = offsets[probe]!; p < end; p++) {
          const d = popcount32(hi ^ his[p]!) + popcount32(lo ^ los[p]!);
          if (d > radius) continue;
          const j = ids[p]!;
          if (stamp[j] === i) continue;
          stamp[j] = i;
          found(j, d);
        }
      }
    }
  }

  /** Every unordered pair (i < j) within the radius. */
  pairs(found: (i: number, j: number, distance: number) => void): void {
    for (let i = 0; i < this.size; i++) {
      this.neighbours(i, (j, d) => {
        if (j > i) found(i, j, d);
      });
    }
  }
}

/** Every `bits`-wide XOR mask with at most `radius` bits set (the probes around a key). */
function masksWithin(bits: number, radius: number): Uint32Array {
  const masks: number[] = [0];
  const extend = (value: number, from: number, left: number) => {
    for (let b = from; b < bits; b++) {
      const next = (value | (1 << b)) >>> 0;
      masks.push(next);
      if (left > 1) extend(next, b + 1, left - 1);
    }
  };
  if (radius > 0) extend(0, 0, radius);
  return Uint32Array.from(masks);
}

/** Builds an index from 16-hex-char hashes. */
export function indexHexHashes(hashes: readonly string[], radius: number): HashIndex {
  const hi = new Uint32Array(hashes.length);
  const lo = new Uint32Array(hashes.length);
  hashes.forEach((h, i) => {
    hi[i] = Number.parseInt(h.slice(0, 8), 16) >>> 0;
    lo[i] = Number.parseInt(h.slice(8, 16), 16) >>> 0;
  });
  return new HashIndex(hi, lo, radius);
}
