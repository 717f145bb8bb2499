/**
 * Leakage re-check: a test image that is a near duplicate of a training image makes the test
 * score a memory test. Uses the 64-bit perceptual hashes (16 hex digits) the dataset stage
 * stores on each manifest record.
 */
export interface HashedRecord {
  id: string;
  path: string;
  phash?: string | null;
  split: string | null;
}

export interface LeakPair {
  test: string;
  train: string;
  distance: number;
}

function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function split64(hex: string): [number, number] | null {
  if (!/^[0-9a-f]{16}$/i.test(hex)) return null;
  return [Number.parseInt(hex.slice(0, 8), 16), Number.parseInt(hex.slice(8), 16)];
}

/** Hamming distance of two 64-bit hashes given as 16 hex digits. */
export function hammingHex(a: string, b: string): number {
  const x = split64(a);
  const y = split64(b);
  if (!x || !y) throw new RangeError(`not a 64-bit hex hash: ${x ? b : a}`);
  return popcount32((x[0] ^ y[0]) >>> 0) + popcount32((x[1] ^ y[1]) >>> 0);
}

/** Every (test, train) pair whose hashes differ in at most `radius` bits; exact duplicates (same id) too. */
export function findLeaks(
  records: readonly HashedRecord[],
  radius: number,
): { pairs: LeakPair[]; checked: number; unhashed: number } {
  const train = records.filter((r) => r.split === 'train');
  const test = records.filter((r) => r.split === 'test');
  const trainHashes = train.map((r) => (r.phash ? split64(r.phash) : null));
  const trainIds = new Map(train.map((r) => [r.id, r]));
  const pairs: LeakPair[] = [];
  let unhashed = 0;
  for (const t of test) {
    const same = trainIds.get(t.id);
    if (same) {
      pairs.push({ test: t.path, train: same.path, distance: 0 });
      continue;
    }
    const h = t.phash ? split64(t.phash) : null;
    if (!h) {
      unhashed++;
      continue;
    }
    for (let j = 0; j < train.length; j++) {
      const g = trainHashes[j];
      if (!g) continue;
      const d = popcount32((h[0] ^ g[0]) >>> 0) + popcount32((h[1] ^ g[1]) >>> 0);
      if (d <= radius) pairs.push({ test: t.path, train: train[j]!.path, distance: d });
    }
  }
  return { pairs: pairs.sort((a, b) => a.distance - b.distance), checked: test.length, unhashed };
}
