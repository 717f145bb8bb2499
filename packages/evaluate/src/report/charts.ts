import type { ReliabilityBin } from '@plantid/core';
import type { TopLevelSpec } from 'vega-lite';

const font = { font: 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif' };

/** Confusion heatmap, rows = true class, columns = predicted; each cell shows its count. */
export function confusionSpec(names: readonly string[], matrix: number[][], title: string): TopLevelSpec {
  const values = matrix.flatMap((row, a) =>
    row.map((count, p) => ({
      actual: names[a]!,
      predicted: names[p]!,
      count,
      share: row.reduce((x, y) => x + y, 0) ? count / row.reduce((x, y) => x + y, 0) : 0,
    })),
  );
  const cell = Math.max(14, Math.min(36, Math.floor(720 / Math.max(1, names.length))));
  const side = cell * names.length;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    config: { ...font, view: { stroke: null } },
    width: side,
    height: side,
    data: { values },
    encoding: {
      x: {
        field: 'predicted',
        type: 'nominal',
        sort: [...names],
        title: 'predicted',
        axis: { labelAngle: -50, labelLimit: 220 },
      },
      y: {
        field: 'actual',
        type: 'nominal',
        sort: [...names],
        title: 'true class',
        axis: { labelLimit: 220 },
      },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: {
            // Empty cells stay near-white so the few confusions stand out.
            condition: { test: 'datum.count === 0', value: '#f7f8fa' },
            field: 'share',
            type: 'quantitative',
            title: 'share of true class',
            scale: { scheme: 'blues', domain: [0, 1] },
          },
          tooltip: [
            { field: 'actual', title: 'true' },
            { field: 'predicted' },
            { field: 'count' },
            { field: 'share', format: '.1%' },
          ],
        },
      },
      {
        transform: [{ filter: 'datum.count > 0' }],
        mark: { type: 'text', fontSize: Math.max(7, Math.min(12, cell / 2.6)) },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}

/** Reliability diagram: accuracy per confidence bin against the diagonal, before and after temperature scaling. */
export function reliabilitySpec(
  before: ReliabilityBin[],
  after: ReliabilityBin[],
  temperature: number,
): TopLevelSpec {
  const rows = (bins: ReliabilityBin[], series: string) =>
    bins
      .filter((b) => b.count > 0)
      .map((b) => ({
        series,
        mid: (b.lo + b.hi) / 2,
        lo: b.lo,
        hi: b.hi,
        accuracy: b.accuracy,
        confidence: b.confidence,
        count: b.count,
      }));
  const values = [...rows(before, 'model'), ...rows(after, `temperature ${temperature.toFixed(2)}`)];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Reliability (test)',
    config: font,
    width: 360,
    height: 360,
    layer: [
      {
        data: {
          values: [
            { x: 0, y: 0 },
            { x: 1, y: 1 },
          ],
        },
        mark: { type: 'line', strokeDash: [4, 4], color: '#888' },
        encoding: {
          x: { field: 'x', type: 'quantitative', scale: { domain: [0, 1] }, title: 'confidence' },
          y: { field: 'y', type: 'quantitative', scale: { domain: [0, 1] }, title: 'accuracy' },
        },
      },
      {
        data: { values },
        mark: { type: 'line', point: { filled: true, size: 50 }, strokeWidth: 2, clip: true },
        encoding: {
          x: { field: 'mid', type: 'quantitative' },
          y: { field: 'accuracy', type: 'quantitative' },
          color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom-right' } },
          tooltip: [
            { field: 'series' },
            { field: 'lo', title: 'from', format: '.2f' },
            { field: 'hi', title: 'to', format: '.2f' },
            { field: 'count' },
            { field: 'accuracy', format: '.3f' },
            { field: 'confidence', format: '.3f' },
          ],
        },
      },
    ],
  };
}

/** Per-class recall and precision bars, weakest recall first: where to add photos. */
export function perClassSpec(
  rows: { name: string; precision: number; recall: number; f1: number }[],
): TopLevelSpec {
  const values = rows.flatMap((r) => [
    { name: r.name, metric: 'recall', value: r.recall, order: r.recall },
    { name: r.name, metric: 'precision', value: r.precision, order: r.recall },
  ]);
  const sorted = [...rows].sort((a, b) => a.recall - b.recall).map((r) => r.name);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Recall and precision per class (test), weakest recall first',
    config: font,
    width: 360,
    height: { step: 18 },
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'name', type: 'nominal', sort: sorted, title: null, axis: { labelLimit: 220 } },
      yOffset: { field: 'metric' },
      x: { field: 'value', type: 'quantitative', scale: { domain: [0, 1] }, title: null },
      color: { field: 'metric', type: 'nominal', title: null, legend: { orient: 'bottom' } },
      tooltip: [{ field: 'name' }, { field: 'metric' }, { field: 'value', format: '.3f' }],
    },
  };
}

/** Accepted unknowns against kept known photos for the chosen open-set score, val and test, with the fitted threshold marked. */
export function openSetCurveSpec(
  curves: {
    split: string;
    score: string;
    points: { threshold: number; keptKnown: number; acceptedUnknown: number }[];
  }[],
  chosen: { keptKnown: number; acceptedUnknown: number; split: string }[],
): TopLevelSpec {
  const values = curves.flatMap((c) => c.points.map((p) => ({ ...p, series: `${c.score}, ${c.split}` })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Open set: photos of the classes kept vs negatives accepted',
    config: font,
    width: 360,
    height: 360,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: false },
        encoding: {
          x: {
            field: 'acceptedUnknown',
            type: 'quantitative',
            title: 'negatives accepted (not not_recognized)',
            scale: { domain: [0, 1] },
          },
          y: {
            field: 'keptKnown',
            type: 'quantitative',
            title: 'known photos kept',
            scale: { domain: [0, 1] },
          },
          color: { field: 'series', type: 'nominal', title: null },
          order: { field: 'threshold', type: 'quantitative' },
        },
      },
      {
        data: { values: chosen.map((c) => ({ ...c, label: `threshold (${c.split})` })) },
        mark: { type: 'point', shape: 'diamond', size: 120, filled: true, color: 'black' },
        encoding: {
          x: { field: 'acceptedUnknown', type: 'quantitative' },
          y: { field: 'keptKnown', type: 'quantitative' },
          tooltip: [{ field: 'label' }],
        },
      },
    ],
  } as TopLevelSpec;
}
