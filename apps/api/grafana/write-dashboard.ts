// Writes deploy/grafana/dashboards/plantid.json from plantid-dashboard.ts (atomically).
import { rename, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { dashboard } from './plantid-dashboard.js';

export const DASHBOARD_JSON = resolve(import.meta.dirname, '../../../deploy/grafana/dashboards/plantid.json');
export const dashboardText = () => `${JSON.stringify(dashboard, null, 2)}\n`;

if (import.meta.filename === process.argv[1]) {
  await writeFile(`${DASHBOARD_JSON}.tmp`, dashboardText());
  await rename(`${DASHBOARD_JSON}.tmp`, DASHBOARD_JSON);
  console.log(`wrote ${DASHBOARD_JSON}`);
}
