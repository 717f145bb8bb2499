import type { Separation } from '@plantid/core';

/** numpy's default ('linear') quantile: sorted v, h = (n − 1)·q, interpolated between its neighbours. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) return Number.NaN;
  const h = (s.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
}

/** P(score of a known photo > score of an unknown one), ties counting half (the Mann–Whitney U statistic). */
export function auroc(known: ArrayLike<number>, unknown: ArrayLike<number>): number {
  const all = [
    ...Array.from(known, (v) => ({ v, known: true })),
    ...Array.from(unknown, (v) => ({ v, known: false })),
  ].sort((a, b) => a.v - b.v);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]!.v === all[i]!.v) j++;
    const rank = (i + j + 1) / 2; // 1-based mean rank of the tie group
    for (let k = i; k < j; k++) if (all[k]!.known) rankSum += rank;
    i = j;
  }
  const n1 = known.length;
  const n0 = unknown.length;
  return (rankSum - (n1 * (n1 + 1)) / 2) / (n1 * n0);
}

/** Share of unknown photos at or above the threshold that keeps `tpr` of the known ones. */
export function fprAtTpr(known: ArrayLike<number>, unknown: ArrayLike<number>, tpr = 0.95): number {
  const t = quantile(known, 1 - tpr);
  let accepted = 0;
  for (let i = 0; i < unknown.length; i++) if (unknown[i]! >= t) accepted++;
  return accepted / unknown.length;
}

export function separation(known: ArrayLike<number>, unknown: ArrayLike<number>): Separation {
  return {
    auroc: auroc(known, unknown),
    fprAt95: fprAtTpr(known, unknown),
    known: known.length,
    unknown: unknown.length,
  };
}

/** Share of known photos kept and unknown photos accepted at `points` thresholds spread over both sets' quantiles. */
export function tradeOffCurve(
  known: ArrayLike<number>,
  unknown: ArrayLike<number>,
  points = 101,
): { threshold: number; keptKnown: number; acceptedUnknown: number }[] {
  const both = [...Array.from(known), ...Array.from(unknown)];
  const share = (values: ArrayLike<number>, t: number) => {
    let n = 0;
    for (let i = 0; i < values.length; i++) if (values[i]! >= t) n++;
    return n / Math.max(1, values.length);
  };
  const thresholds = [...new Set(Array.from({ length: points }, (_, i) => quantile(both, i / (points - 1))))];
  return thresholds.map((t) => ({
    threshold: round(t),
    keptKnown: round(share(known, t)),
    acceptedUnknown: round(share(unknown, t)),
  }));
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
