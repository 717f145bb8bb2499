import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  processGroupMembers,
  startAlertmanager,
  startPrometheus,
  startWebhookReceiver,
} from '../src/index.js';

const RULES = `groups:
  - name: testkit
    rules:
      - alert: TooManyRequests
        expr: plantid_test_requests_total > 2
        labels: { severity: warn }
`;

describe('startPrometheus', () => {
  it('scrapes a target, evaluates a rule and sends the alert through Alertmanager, stops with no process left', async () => {
    const target = createServer((_request, response) => {
      response.setHeader('content-type', 'text/plain; version=0.0.4');
      response.end('# TYPE plantid_test_requests_total counter\nplantid_test_requests_total 3\n');
    });
    target.listen(0, '127.0.0.1');
    await once(target, 'listening');
    const address = target.address();
    if (typeof address !== 'object' || !address) throw new Error('no address');

    const webhook = await startWebhookReceiver();
    const alertmanager = await startAlertmanager({ webhook: webhook.url });
    const prometheus = await startPrometheus({
      scrapeTargets: [`127.0.0.1:${address.port}`],
      rules: RULES,
      alertmanagers: [alertmanager.address],
    });
    try {
      const fired = await webhook.waitFor<{ alerts: { labels: Record<string, string> }[] }>((body) =>
        body.alerts.some((alert) => alert.labels.alertname === 'TooManyRequests'),
      );
      expect(fired.alerts[0]?.labels).toMatchObject({ job: 'targets', severity: 'warn' });
      const [sample] = await prometheus.query('plantid_test_requests_total');
      expect(sample?.value[1]).toBe('3');
      expect((await prometheus.query('up'))[0]?.value[1]).toBe('1');
    } finally {
      await prometheus.stop();
      await alertmanager.stop();
      await webhook.close();
      target.close();
    }
    expect(processGroupMembers(prometheus.pid)).toEqual([]);
    expect(existsSync(prometheus.dir)).toBe(false);
  });
});
