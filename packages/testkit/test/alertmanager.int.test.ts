import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processGroupMembers, startAlertmanager, startWebhookReceiver } from '../src/index.js';

interface WebhookBody {
  status: string;
  alerts: { labels: Record<string, string> }[];
}

describe('startAlertmanager', () => {
  it('routes a posted alert to the webhook at once, stops with no process left', async () => {
    const webhook = await startWebhookReceiver();
    const alertmanager = await startAlertmanager({ webhook: webhook.url });
    try {
      const status = (await (await fetch(`${alertmanager.url}/api/v2/status`)).json()) as {
        cluster: { status: string };
      };
      expect(status.cluster.status).toBe('disabled');
      const posted = await fetch(`${alertmanager.url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([{ labels: { alertname: 'GoldenSetAccuracyDrop', severity: 'page' } }]),
      });
      expect(posted.status).toBe(200);
      const body = await webhook.waitFor<WebhookBody>((b) => b.status === 'firing');
      expect(body.alerts[0]?.labels).toMatchObject({ alertname: 'GoldenSetAccuracyDrop', severity: 'page' });
    } finally {
      await alertmanager.stop();
      await webhook.close();
    }
    expect(processGroupMembers(alertmanager.pid)).toEqual([]);
    expect(existsSync(alertmanager.dir)).toBe(false);
  });
});
