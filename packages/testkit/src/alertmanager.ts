import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { httpAnswers, makeServiceDir, type Service, startService } from './service.js';
import { setupHint, systemTool } from './tools.js';

export interface AlertmanagerOptions {
  /** URL that every alert is POSTed to (Alertmanager's webhook JSON), with resolved ones too. */
  webhook: string;
  /** State dir (kept on stop); a temp dir removed on stop when not given. */
  dir?: string;
}

export interface AlertmanagerServer extends Service {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `127.0.0.1:<port>`, as Prometheus' `alertmanagers` wants it. */
  readonly address: string;
}

/**
 * A real Alertmanager on a free loopback port, clustering off, one webhook receiver that gets every
 * alert at once (group_wait 0 s, group_interval 1 s).
 */
export async function startAlertmanager(options: AlertmanagerOptions): Promise<AlertmanagerServer> {
  const port = await freePort();
  const dir = options.dir ?? (await makeServiceDir('alertmanager'));
  const config = {
    route: {
      receiver: 'webhook',
      group_by: ['alertname'],
      group_wait: '0s',
      group_interval: '1s',
      repeat_interval: '1h',
    },
    receivers: [{ name: 'webhook', webhook_configs: [{ url: options.webhook, send_resolved: true }] }],
  };
  const configPath = join(dir, 'alertmanager.yml');
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const url = `http://127.0.0.1:${port}`;
  const service = await startService({
    name: 'alertmanager',
    command: systemTool('alertmanager'),
    args: [
      `--config.file=${configPath}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Empty: no HA gossip (its default listens on 0.0.0.0:9094, a fixed port).
      '--cluster.listen-address=',
    ],
    port,
    dir,
    removeDir: options.dir === undefined,
    ready: httpAnswers(`${url}/-/ready`),
    hint: setupHint('alertmanager'),
  });
  return { ...service, url, address: `127.0.0.1:${port}` };
}
