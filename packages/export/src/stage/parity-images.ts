import { readFile } from 'node:fs/promises';
import { WorkError } from '@plantid/core';
import { type PreprocessSpec, preprocessViews, specViews } from '@plantid/preprocess';
import type { DatasetRecord } from '../card/data-summary.js';

/**
 * Up to `n` records for the parity check: test split first (val, then train if the test split
 * is too small), spread round-robin over classes so every class is seen, in a fixed order
 * (by content id) so reruns compare the same images.
 */
export function pickParityRecords<R extends DatasetRecord>(records: readonly R[], n: number): R[] {
  const picked: R[] = [];
  for (const split of ['test', 'val', 'train'] as const) {
    if (picked.length >= n) break;
    const byClass = new Map<string, R[]>();
    for (const r of records.filter((r) => r.split === split).sort((a, b) => (a.id < b.id ? -1 : 1))) {
      const list = byClass.get(r.labelId) ?? [];
      list.push(r);
      byClass.set(r.labelId, list);
    }
    const queues = [...byClass.keys()].sort().map((k) => byClass.get(k)!);
    while (picked.length < n && queues.some((q) => q.length)) {
      for (const q of queues) {
        const next = q.shift();
        if (next && picked.length < n) picked.push(next);
      }
    }
  }
  return picked;
}

/**
 * Decodes and preprocesses the parity images into one NHWC batch, exactly as serving will: every
 * test-time view of each image in turn (records × views inputs).
 */
export async function loadParityBatch<R>(
  records: readonly R[],
  spec: PreprocessSpec,
  imagePath: (record: R) => string,
  onImage?: () => void,
): Promise<Float32Array> {
  const per = spec.size * spec.size * 3;
  const views = specViews(spec).length;
  const batch = new Float32Array(records.length * views * per);
  for (const [i, record] of records.entries()) {
    const path = imagePath(record);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      throw new WorkError('a dataset image for the parity check cannot be read', {
        where: path,
        hint: 'the data moved since the dataset stage ran: rerun `pipeline run --from dataset`',
        cause: error,
      });
    }
    for (const [v, tensor] of (await preprocessViews(bytes, spec)).entries())
      batch.set(tensor, (i * views + v) * per);
    onImage?.();
  }
  return batch;
}
