import type { RunRecord } from './local-store.js';

export interface RunComparison {
  a: RunRecord;
  b: RunRecord;
  /** Params whose values differ (missing on one side = null). */
  params: { key: string; a: string | null; b: string | null }[];
  /** Last value of every metric either run logged, with b − a. */
  metrics: { key: string; a: number | null; b: number | null; delta: number | null }[];
}

export function compareRuns(a: RunRecord, b: RunRecord): RunComparison {
  const paramKeys = [...new Set([...Object.keys(a.params), ...Object.keys(b.params)])].sort();
  const params = paramKeys
    .map((key) => ({ key, a: a.params[key] ?? null, b: b.params[key] ?? null }))
    .filter((p) => p.a !== p.b);
  const metricKeys = [...new Set([...Object.keys(a.latest), ...Object.keys(b.latest)])].sort();
  const metrics = metricKeys.map((key) => {
    const va = a.latest[key] ?? null;
    const vb = b.latest[key] ?? null;
    return { key, a: va, b: vb, delta: va === null || vb === null ? null : vb - va };
  });
  return { a, b, params, metrics };
}

const fmt = (v: number | string | null) =>
  v === null ? '—' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v;

/** A plain-text table for the terminal: metrics first, then the params that differ. */
export function formatComparison(c: RunComparison): string {
  const rows: string[][] = [['', c.a.info.runId, c.b.info.runId, 'change']];
  for (const m of c.metrics) {
    const delta = m.delta === null ? '' : `${m.delta > 0 ? '+' : ''}${fmt(m.delta)}`;
    rows.push([m.key, fmt(m.a), fmt(m.b), delta]);
  }
  if (c.params.length > 0) {
    rows.push(['', '', '', '']);
    rows.push(['params that differ', '', '', '']);
    for (const p of c.params) rows.push([p.key, fmt(p.a), fmt(p.b), '']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
