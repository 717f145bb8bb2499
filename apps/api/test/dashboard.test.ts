import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dashboard } from '../grafana/plantid-dashboard.js';
import { DASHBOARD_JSON, dashboardText } from '../grafana/write-dashboard.js';

const METRICS_TS = resolve(import.meta.dirname, '../../../packages/serve-api/src/metrics.ts');

describe('the Grafana dashboard (typed by @grafana/schema in apps/api/grafana)', () => {
  it('is what Grafana provisions: deploy/grafana/dashboards/plantid.json is written from the typed source', async () => {
    expect(await readFile(DASHBOARD_JSON, 'utf8'), 'run apps/api/grafana/write-dashboard.ts').toBe(
      dashboardText(),
    );
  });

  it('queries only metrics the API exports', async () => {
    const source = await readFile(METRICS_TS, 'utf8');
    const exported = new Set([...source.matchAll(/name: '(plantid_[a-z0-9_]+)'/g)].map((m) => m[1]));
    expect(exported.size).toBeGreaterThan(8);
    const queried = (dashboard.panels ?? []).flatMap((p) =>
      ('targets' in p ? (p.targets ?? []) : []).flatMap((t) =>
        [...String((t as { expr?: string }).expr).matchAll(/\b(plantid_[a-z0-9_]+)/g)].map((m) => m[1]!),
      ),
    );
    expect(queried.length).toBeGreaterThan(10);
    const unknown = queried.filter((name) => !exported.has(name.replace(/_(bucket|sum|count)$/, '')));
    expect(unknown).toEqual([]);
  });
});
