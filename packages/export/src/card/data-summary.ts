import type { ManifestRecord } from '@plantid/core';

/** The manifest fields the model card and parity sampling read (a manifest record has them all). */
export type DatasetRecord = Pick<
  ManifestRecord,
  'id' | 'path' | 'label' | 'labelId' | 'split' | 'source' | 'license'
>;

export interface DatasetSummary {
  /** Records in the manifest, excluded ones included. */
  images: number;
  /** Records left out of every split by a quality flag. */
  excluded: number;
  splits: { train: number; val: number; test: number };
  /** labelId → images per split. */
  perClass: Record<string, { train: number; val: number; test: number }>;
  /** Distinct licences with image counts, most images first; `null` = not declared. */
  licences: { license: string | null; images: number }[];
  sources: { source: string | null; images: number }[];
}

export function summariseDataset(records: readonly DatasetRecord[]): DatasetSummary {
  const splits = { train: 0, val: 0, test: 0 };
  const perClass: DatasetSummary['perClass'] = {};
  const licences = new Map<string | null, number>();
  const sources = new Map<string | null, number>();
  let excluded = 0;
  for (const r of records) {
    if (r.split === null) {
      excluded++;
    } else {
      splits[r.split]++;
      perClass[r.labelId] ??= { train: 0, val: 0, test: 0 };
      perClass[r.labelId]![r.split]++;
    }
    const license = r.license?.trim() || null;
    licences.set(license, (licences.get(license) ?? 0) + 1);
    const source = r.source?.trim() || null;
    sources.set(source, (sources.get(source) ?? 0) + 1);
  }
  const byCount = <K>(m: Map<K, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    images: records.length,
    excluded,
    splits,
    perClass,
    licences: byCount(licences).map(([license, images]) => ({ license, images })),
    sources: byCount(sources).map(([source, images]) => ({ source, images })),
  };
}
