import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '@plantid/core';
import { HashIndex } from './hashIndex.js';
import { DETAIL_LENGTH, detailCorrelation } from './image/detail.js';

/** Fine-detail signatures of every manifest record, in manifest order (DETAIL_LENGTH int8 each). */
export const SIGNATURES_FILE = 'signatures.bin';

export function packSignatures(details: readonly (Int8Array | null)[]): Uint8Array {
  const out = new Int8Array(details.length * DETAIL_LENGTH);
  details.forEach((d, i) => {
    if (d) out.set(d, i * DETAIL_LENGTH);
  });
  return new Uint8Array(out.buffer);
}

export async function readSignatures(datasetDir: string, count: number): Promise<Int8Array[]> {
  const path = join(datasetDir, SIGNATURES_FILE);
  const bytes = await readFile(path).catch(() => {
    throw new UsageError('near-duplicate signatures missing', {
      where: path,
      hint: 'run the dataset stage again (pipeline run --from dataset)',
    });
  });
  if (bytes.length !== count * DETAIL_LENGTH)
    throw new UsageError(`holds ${bytes.length / DETAIL_LENGTH} signatures for ${count} manifest records`, {
      where: path,
      hint: 'run the dataset stage again (pipeline run --from dataset)',
    });
  const all = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  return Array.from({ length: count }, (_, i) => all.subarray(i * DETAIL_LENGTH, (i + 1) * DETAIL_LENGTH));
}

export interface LeakCheckRecord {
  id: string;
  path: string;
  phash?: string | null;
  split: string | null;
}

export interface LeakPair {
  test: string;
  train: string;
  /** pHash Hamming distance (0 for exact duplicates). */
  distance: number;
  /** Fine-detail correlation (1 for exact duplicates). */
  detail: number;
}

/**
 * Test images that are exact or near duplicates of training images, by the same rule the
 * dataset stage groups them with: pHash within `hamming` bits confirmed by a fine-detail
 * correlation of at least `minDetail`. Sub-quadratic through the multi-index hash.
 */
export function findTrainTestLeaks(
  records: readonly LeakCheckRecord[],
  signatures: readonly Int8Array[],
  options: { hamming: number; minDetail: number },
): { pairs: LeakPair[]; checked: number; unhashed: number } {
  const pairs: LeakPair[] = [];
  const trainById = new Map<string, LeakCheckRecord>();
  for (const r of records) if (r.split === 'train') trainById.set(r.id, r);

  const indexed: number[] = [];
  let checked = 0;
  let unhashed = 0;
  records.forEach((r, i) => {
    if (r.split !== 'train' && r.split !== 'test') return;
    if (r.split === 'test') {
      checked++;
      const twin = trainById.get(r.id);
      if (twin) pairs.push({ test: r.path, train: twin.path, distance: 0, detail: 1 });
    }
    if (r.phash && /^[0-9a-f]{16}$/i.test(r.phash)) indexed.push(i);
    else if (r.split === 'test') unhashed++;
  });

  const hi = Uint32Array.from(indexed, (i) => Number.parseInt(records[i]!.phash!.slice(0, 8), 16) >>> 0);
  const lo = Uint32Array.from(indexed, (i) => Number.parseInt(records[i]!.phash!.slice(8), 16) >>> 0);
  new HashIndex(hi, lo, options.hamming).pairs((ka, kb, distance) => {
    const a = records[indexed[ka]!]!;
    const b = records[indexed[kb]!]!;
    if (a.split === b.split || a.id === b.id) return;
    const detail = detailCorrelation(signatures[indexed[ka]!]!, signatures[indexed[kb]!]!);
    if (detail < options.minDetail) return;
    const [test, train] = a.split === 'test' ? [a, b] : [b, a];
    pairs.push({ test: test.path, train: train.path, distance, detail });
  });
  return { pairs: pairs.sort((x, y) => x.distance - y.distance || y.detail - x.detail), checked, unhashed };
}
