import type { TopLevelSpec } from 'vega-lite';

export interface ClassCountRow {
  label: string;
  split: string;
  count: number;
}

export function classDistributionSpec(rows: ClassCountRow[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Images per class and split',
    width: 520,
    height: { step: 14 },
    data: { values: rows },
    mark: 'bar',
    encoding: {
      y: { field: 'label', type: 'nominal', sort: '-x', title: null },
      x: { field: 'count', type: 'quantitative', aggregate: 'sum', title: 'images' },
      color: {
        field: 'split',
        type: 'nominal',
        scale: {
          domain: ['train', 'val', 'test', 'excluded'],
          range: ['#4c78a8', '#f58518', '#54a24b', '#bab0ac'],
        },
        title: 'split',
      },
      order: { field: 'split', sort: 'ascending' },
      tooltip: [{ field: 'label' }, { field: 'split' }, { field: 'count', type: 'quantitative' }],
    },
  } as TopLevelSpec;
}

export function sizeScatterSpec(points: { width: number; height: number; label: string }[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Image width × height (after EXIF orientation)',
    width: 420,
    height: 320,
    data: { values: points },
    mark: { type: 'circle', opacity: 0.35, size: 18 },
    encoding: {
      x: { field: 'width', type: 'quantitative', title: 'width (px)', scale: { zero: false } },
      y: { field: 'height', type: 'quantitative', title: 'height (px)', scale: { zero: false } },
    },
  } as TopLevelSpec;
}

export function histogramSpec(
  values: number[],
  options: { title: string; field: string; maxbins?: number; rule?: { value: number; label: string } },
): TopLevelSpec {
  const layers: unknown[] = [
    {
      mark: 'bar',
      encoding: {
        x: {
          field: options.field,
          type: 'quantitative',
          bin: { maxbins: options.maxbins ?? 40 },
          title: options.field,
        },
        y: { aggregate: 'count', type: 'quantitative', title: 'images' },
      },
    },
  ];
  if (options.rule) {
    layers.push({
      data: { values: [{ v: options.rule.value, label: options.rule.label }] },
      mark: { type: 'rule', color: '#e45756', strokeWidth: 2 },
      encoding: { x: { field: 'v', type: 'quantitative' } },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    width: 420,
    height: 220,
    data: { values: values.map((v) => ({ [options.field]: v })) },
    layer: layers,
  } as TopLevelSpec;
}

export function meanColourSpec(rows: { label: string; hex: string }[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Mean colour per class',
    width: 60,
    height: { step: 14 },
    data: { values: rows },
    mark: { type: 'rect', stroke: '#999', strokeWidth: 0.5 },
    encoding: {
      y: { field: 'label', type: 'nominal', title: null, sort: null },
      color: { field: 'hex', type: 'nominal', scale: null, legend: null },
      tooltip: [{ field: 'label' }, { field: 'hex' }],
    },
  } as TopLevelSpec;
}
