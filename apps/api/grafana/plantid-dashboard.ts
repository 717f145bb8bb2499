// The plantid Grafana dashboard, typed against @grafana/schema (tsc checks every field); the JSON
// Grafana provisions (deploy/grafana/dashboards/plantid.json) is written from it:
//   node --conditions=@plantid/source --import tsx apps/api/grafana/write-dashboard.ts
// apps/api/test/dashboard.test.ts fails when the two differ or a query names a metric the API lacks.
import type { Dashboard, DataQuery, Panel } from '@grafana/schema';

const datasource = { type: 'prometheus', uid: 'prometheus' };
const API = 'job="plantid-api"';

interface PromQuery extends DataQuery {
  expr: string;
  legendFormat?: string;
  format?: 'time_series' | 'heatmap' | 'table';
}

let nextId = 1;
function panel(
  title: string,
  type: 'timeseries' | 'stat' | 'heatmap' | 'table',
  gridPos: { x: number; y: number; w: number; h: number },
  targets: Omit<PromQuery, 'refId'>[],
  unit = 'short',
): Panel {
  return {
    id: nextId++,
    title,
    type,
    datasource,
    gridPos,
    fieldConfig: { defaults: { unit }, overrides: [] },
    options: {},
    targets: targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), datasource, ...t })),
  };
}

const quantile = (q: number, metric: string, by = 'route') =>
  `histogram_quantile(${q}, sum by (le, ${by}) (rate(${metric}_bucket{${API}}[5m])))`;

export const dashboard: Dashboard = {
  uid: 'plantid-api',
  title: 'plantid API',
  description:
    'Traffic, latency, errors, batching, model version, answer quality and feedback of the plantid API.',
  tags: ['plantid'],
  editable: false,
  schemaVersion: 39,
  refresh: '30s',
  time: { from: 'now-6h', to: 'now' },
  timezone: 'browser',
  panels: [
    panel(
      'Requests/s by route',
      'timeseries',
      { x: 0, y: 0, w: 12, h: 8 },
      [{ expr: `sum by (route) (rate(plantid_http_requests_total{${API}}[5m]))`, legendFormat: '{{route}}' }],
      'reqps',
    ),
    panel(
      'Latency p50 / p99 by route',
      'timeseries',
      { x: 12, y: 0, w: 12, h: 8 },
      [
        { expr: quantile(0.5, 'plantid_http_request_duration_seconds'), legendFormat: 'p50 {{route}}' },
        { expr: quantile(0.99, 'plantid_http_request_duration_seconds'), legendFormat: 'p99 {{route}}' },
      ],
      's',
    ),
    panel(
      '4xx and 5xx per second',
      'timeseries',
      { x: 0, y: 8, w: 12, h: 8 },
      [
        { expr: `sum(rate(plantid_http_requests_total{${API},status=~"4.."}[5m]))`, legendFormat: '4xx' },
        { expr: `sum(rate(plantid_http_requests_total{${API},status=~"5.."}[5m]))`, legendFormat: '5xx' },
      ],
      'reqps',
    ),
    panel('Batch size and queue wait', 'timeseries', { x: 12, y: 8, w: 12, h: 8 }, [
      {
        expr: `sum(rate(plantid_batch_size_sum{${API}}[5m])) / sum(rate(plantid_batch_size_count{${API}}[5m]))`,
        legendFormat: 'mean batch size',
      },
      {
        expr: quantile(0.99, 'plantid_queue_wait_seconds', 'instance'),
        legendFormat: 'queue wait p99 {{instance}} (s)',
      },
    ]),
    panel('Model version served', 'table', { x: 0, y: 16, w: 8, h: 6 }, [
      {
        expr: `max by (instance, name, version, engine, variant) (plantid_model_info{${API}})`,
        format: 'table',
      },
    ]),
    panel(
      'Share of uncertain / not recognized answers',
      'timeseries',
      { x: 8, y: 16, w: 8, h: 6 },
      [
        {
          expr: `sum by (status) (rate(plantid_answers_total{${API},status!="identified"}[15m])) / ignoring(status) group_left sum(rate(plantid_answers_total{${API}}[15m]))`,
          legendFormat: '{{status}}',
        },
      ],
      'percentunit',
    ),
    panel(
      'Feedback correct-rate by model version',
      'timeseries',
      { x: 16, y: 16, w: 8, h: 6 },
      [
        {
          expr: `sum by (model, version) (increase(plantid_feedback_total{${API},correct="true"}[6h])) / sum by (model, version) (increase(plantid_feedback_total{${API}}[6h]))`,
          legendFormat: '{{model}}@{{version}}',
        },
      ],
      'percentunit',
    ),
    panel('Top-1 confidence (input drift shows as a shift)', 'heatmap', { x: 0, y: 22, w: 12, h: 8 }, [
      {
        expr: `sum by (le) (increase(plantid_top1_confidence_bucket{${API}}[10m]))`,
        format: 'heatmap',
        legendFormat: '{{le}}',
      },
    ]),
    panel('Open-set score by model version', 'timeseries', { x: 12, y: 22, w: 12, h: 8 }, [
      {
        expr: quantile(0.5, 'plantid_openset_score', 'model, version'),
        legendFormat: 'median {{model}}@{{version}}',
      },
    ]),
    panel('Ready replicas', 'stat', { x: 0, y: 30, w: 6, h: 4 }, [
      { expr: `sum(plantid_ready{${API}})`, legendFormat: 'ready' },
    ]),
  ],
};
