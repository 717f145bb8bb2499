import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { httpAnswers, makeServiceDir, type Service, startService } from './service.js';
import { setupHint, systemTool } from './tools.js';

export interface PrometheusOptions {
  /** `host:port` of each target serving `/metrics`, scraped as job `job`. */
  scrapeTargets: string[];
  /** The scrape job's name, the `job` label rules select on (default `targets`). */
  job?: string;
  /** The text of one rule file (`groups: …`), e.g. read from the repo's alert rules. */
  rules?: string;
  /** `host:port` of Alertmanagers that firing alerts are sent to. */
  alertmanagers?: string[];
  /** Scrape and rule evaluation interval (default `1s`, so tests wait seconds, not minutes). */
  interval?: string;
  /** State dir (kept on stop); a temp dir removed on stop when not given. */
  dir?: string;
}

export interface PrometheusSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusServer extends Service {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** An instant query through the HTTP API (`/api/v1/query`): the result vector. */
  query(promql: string): Promise<PrometheusSample[]>;
}

/** A real Prometheus on a free loopback port, TSDB and config in a temp dir. */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const port = await freePort();
  const dir = options.dir ?? (await makeServiceDir('prometheus'));
  const interval = options.interval ?? '1s';
  const rulesPath = join(dir, 'rules.yml');
  if (options.rules !== undefined) await writeFile(rulesPath, options.rules);
  // JSON is YAML: no YAML writer needed for the config.
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: options.rules === undefined ? [] : [rulesPath],
    alerting: { alertmanagers: [{ static_configs: [{ targets: options.alertmanagers ?? [] }] }] },
    scrape_configs: [
      { job_name: options.job ?? 'targets', static_configs: [{ targets: options.scrapeTargets }] },
    ],
  };
  const configPath = join(dir, 'prometheus.yml');
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const url = `http://127.0.0.1:${port}`;
  const service = await startService({
    name: 'prometheus',
    command: systemTool('prometheus'),
    args: [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
    ],
    port,
    dir,
    removeDir: options.dir === undefined,
    ready: httpAnswers(`${url}/-/ready`),
    hint: setupHint('prometheus'),
  });
  const query = async (promql: string) => {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { result: PrometheusSample[] };
    };
    if (body.status !== 'success' || !body.data) throw new Error(`prometheus query ${promql}: ${body.error}`);
    return body.data.result;
  };
  return { ...service, url, query };
}
