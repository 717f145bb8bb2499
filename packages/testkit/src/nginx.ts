import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { httpAnswers, makeServiceDir, type Service, startService } from './service.js';
import { setupHint, systemTool } from './tools.js';

export interface NginxServer extends Service {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
}

export type NginxOptions = {
  /** State dir (kept on stop); a temp dir removed on stop when not given. */
  dir?: string;
} & (
  | {
      /**
       * The body of the `http {}` block: server blocks that `listen 127.0.0.1:${port}`. Temp paths, the
       * access log, the pid file and the error log are set around it, in `dir`.
       */
      config: (context: { port: number; dir: string }) => string;
    }
  | {
      /** `host:port` of each backend, proxied round robin; a failed backend is skipped for 2 s. */
      upstreams: string[];
    }
);

/** Round robin over the upstreams; a connection error or 502/503/504 retries the request on the next one. */
function roundRobin(upstreams: string[], port: number): string {
  const servers = upstreams.map((address) => `    server ${address} max_fails=1 fail_timeout=2s;`).join('\n');
  return `upstream backends {
${servers}
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backends;
      proxy_next_upstream error timeout http_502 http_503 http_504;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }`;
}

/**
 * A real nginx on a free loopback port, in the foreground, unprivileged: every path it writes (pid,
 * logs, temp files) is in `dir`, nothing under /var or /run. Started as root it still drops its
 * workers to the default user (nobody).
 */
export async function startNginx(options: NginxOptions): Promise<NginxServer> {
  const port = await freePort();
  const dir = options.dir ?? (await makeServiceDir('nginx'));
  // Workers (nobody when started as root) create temp files below dir: let them traverse it.
  await chmod(dir, 0o755);
  const http = 'config' in options ? options.config({ port, dir }) : roundRobin(options.upstreams, port);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `  ${kind}_temp_path ${join(dir, `${kind}_temp`)};`)
    .join('\n');
  const confPath = join(dir, 'nginx.conf');
  await writeFile(
    confPath,
    `daemon off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} notice;
events { worker_connections 1024; }
http {
  access_log ${join(dir, 'access.log')};
${temp}
  ${http}
}
`,
  );
  const service = await startService({
    name: 'nginx',
    command: systemTool('nginx'),
    // -p: relative paths against dir; -e: the error log before the config is read (default is /var/log).
    args: ['-p', dir, '-c', confPath, '-e', join(dir, 'error.log')],
    port,
    dir,
    removeDir: options.dir === undefined,
    ready: httpAnswers(`http://127.0.0.1:${port}/`, () => true),
    hint: setupHint('nginx'),
  });
  return { ...service, url: `http://127.0.0.1:${port}` };
}
