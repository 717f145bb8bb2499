import type { RunRecord, StageResult } from './runner.js';

/** Plain-text table with left-aligned columns (no colours: it is also written to files and CI logs). */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function details(stage: StageResult): string {
  const parts: string[] = [];
  if (stage.reusedFrom) parts.push(`from ${stage.reusedFrom}`);
  if (stage.reason && stage.status !== 'ran') parts.push(stage.reason);
  if (stage.summary) {
    for (const [k, v] of Object.entries(stage.summary)) {
      parts.push(`${k}=${typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(4)) : v}`);
    }
  }
  if (stage.error) parts.push(stage.error);
  return parts.join(', ');
}

/** The summary printed at the end of `pipeline run` and by `runs show`. */
export function formatRunSummary(record: RunRecord): string {
  const rows = record.stages.map((s) => [
    s.name,
    s.status,
    formatMs(s.status === 'ran' || s.status === 'failed' ? s.durationMs : undefined),
    s.key?.slice(0, 8) ?? '',
    details(s),
  ]);
  const table = formatTable(['stage', 'status', 'time', 'key', 'details'], rows);
  const head = `run ${record.runId}: ${record.status}${record.durationMs !== undefined ? ` in ${formatMs(record.durationMs)}` : ''}`;
  const tail = record.error ? `\nerror: ${record.error}` : '';
  return `${head}\n${record.stages.length ? table : '(no stages)'}${tail}`;
}
