import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AlertmanagerServer,
  type PrometheusServer,
  startAlertmanager,
  startPrometheus,
  startWebhookReceiver,
  systemTool,
  type WebhookReceiver,
} from '@plantid/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBundle } from '../../../packages/serve-api/test/fixtures/bundle.js';
import { type ApiProcess, REPO, startApiProcess } from './api-process.js';

const RULES = join(REPO, 'deploy/prometheus/alerts.yml');

function run(command: string, args: string[]) {
  return new Promise<{ code: number; output: string }>((done) => {
    const child = spawn(command, args, { cwd: REPO });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => done({ code: code ?? 1, output }));
  });
}

interface AlertmanagerWebhook {
  status: string;
  alerts: { status: string; labels: Record<string, string> }[];
}

describe('alert rules (deploy/prometheus/alerts.yml)', () => {
  it('are valid and pass their promtool unit tests (deploy/prometheus/alerts.test.yml)', async () => {
    const check = await run(systemTool('promtool'), ['check', 'rules', RULES]);
    expect(check.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(check.code).toBe(0);
    const tests = await run(systemTool('promtool'), ['test', 'rules', 'deploy/prometheus/alerts.test.yml']);
    expect(tests.output).toContain('SUCCESS');
    expect(tests.code).toBe(0);
  });

  it('the Alertmanager config of deploy/ is valid', async () => {
    const check = await run(systemTool('amtool'), ['check-config', 'deploy/alertmanager/alertmanager.yml']);
    expect(check.output).toContain('SUCCESS');
    expect(check.code).toBe(0);
  });
});

describe('Prometheus scraping a real API process, an alert reaching a webhook through Alertmanager', () => {
  let api: ApiProcess;
  let webhook: WebhookReceiver;
  let alertmanager: AlertmanagerServer;
  let prometheus: PrometheusServer;

  beforeAll(async () => {
    const bundle = await testBundle();
    api = await startApiProcess(bundle.dir);
    webhook = await startWebhookReceiver();
    alertmanager = await startAlertmanager({ webhook: webhook.url });
    // The repo's rules as they are, except the down alert's `for: 1m`, so the test waits seconds.
    const rules = (await readFile(RULES, 'utf8')).replace('for: 1m', 'for: 2s');
    prometheus = await startPrometheus({
      job: 'plantid-api',
      scrapeTargets: [api.address],
      rules,
      alertmanagers: [alertmanager.address],
    });
  });
  afterAll(async () => {
    await api?.kill();
    await prometheus?.stop();
    await alertmanager?.stop();
    await webhook?.close();
  });

  async function eventually<T>(
    what: string,
    probe: () => Promise<T | undefined>,
    timeoutMs = 30_000,
  ): Promise<T> {
    for (const deadline = Date.now() + timeoutMs; ; ) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  it('scrapes readiness and request counters the dashboards and rules read', async () => {
    const ready = await eventually('plantid_ready', async () => {
      const [sample] = await prometheus.query('plantid_ready{job="plantid-api"}');
      return sample?.value[1] === '1' ? sample : undefined;
    });
    expect(ready.metric.instance).toBe(api.address);
    await fetch(`${api.url}/v1/models`);
    const counter = await eventually('request counter', async () => {
      const [sample] = await prometheus.query(
        'plantid_http_requests_total{job="plantid-api",route="/v1/models"}',
      );
      return sample;
    });
    expect(Number(counter.value[1])).toBeGreaterThanOrEqual(1);
    expect(await prometheus.query('ALERTS{alertname="PlantidApiDown"}')).toEqual([]);
  });

  it('a crashed replica fires PlantidApiDown, delivered to the webhook by Alertmanager', async () => {
    await api.kill();
    const body = await webhook.waitFor<AlertmanagerWebhook>(
      (b) => b.status === 'firing' && b.alerts.some((a) => a.labels.alertname === 'PlantidApiDown'),
      60_000,
    );
    const alert = body.alerts.find((a) => a.labels.alertname === 'PlantidApiDown')!;
    expect(alert.labels).toMatchObject({ severity: 'page', job: 'plantid-api', instance: api.address });
  });
});
