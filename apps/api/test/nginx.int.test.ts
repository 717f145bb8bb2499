import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeServiceDir, type NginxServer, startNginx } from '@plantid/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBundle } from '../../../packages/serve-api/test/fixtures/bundle.js';
import { type ApiProcess, REPO, startApiProcess } from './api-process.js';

const TEMPLATE = join(REPO, 'deploy/nginx/templates/plantid.conf.template');

/** What the official nginx image's envsubst does to the template: ${UPPER_CASE} variables only. */
export function renderTemplate(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`${TEMPLATE}: no value for \${${name}}`);
    return value;
  });
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('nginx (deploy/nginx) in front of two API processes', () => {
  let apis: ApiProcess[] = [];
  let nginx: NginxServer;
  let ca: Buffer;
  let photo: Buffer;

  function call(path: string, method = 'GET', body?: Buffer, headers: Record<string, string> = {}) {
    return new Promise<Answer>((done, fail) => {
      const url = new URL(path, nginx.url);
      const req = request(
        {
          host: '127.0.0.1',
          port: url.port,
          path: url.pathname,
          method,
          ca,
          servername: 'localhost',
          headers,
        },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        },
      );
      req.on('error', fail);
      req.end(body);
    });
  }

  beforeAll(async () => {
    const bundle = await testBundle();
    photo = await readFile(bundle.heldOut[0]![0]!);
    apis = await Promise.all([0, 1].map(() => startApiProcess(bundle.dir, { PLANTID_TRUST_PROXY: 'true' })));
    // A self-signed certificate for localhost: the TLS path of the config, exercised for real.
    const tls = await makeServiceDir('nginx-tls');
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
      '-keyout',
      join(tls, 'key.pem'),
      '-out',
      join(tls, 'cert.pem'),
    ]);
    ca = await readFile(join(tls, 'cert.pem'));
    const template = await readFile(TEMPLATE, 'utf8');
    nginx = await startNginx({
      config: ({ port, dir }) =>
        renderTemplate(template, {
          NGINX_PORT: String(port),
          NGINX_TLS_CERT: join(tls, 'cert.pem'),
          NGINX_TLS_KEY: join(tls, 'key.pem'),
          NGINX_MAX_BODY: '10m',
          NGINX_CACHE_DIR: join(dir, 'web-cache'),
          PLANTID_API_1: apis[0]!.address,
          PLANTID_API_2: apis[1]!.address,
        }),
    });
  });
  afterAll(async () => {
    await Promise.all(apis.map((api) => api.kill()));
    await nginx?.stop();
  });

  it('serves the API over TLS, round robin over both replicas', async () => {
    const upstreams = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const answer = await call('/readyz');
      expect(answer.status).toBe(200);
      upstreams.add(String(answer.headers['x-upstream']));
    }
    expect([...upstreams].sort()).toEqual(apis.map((a) => a.address).sort());
  });

  it('caches the web page, hides /metrics, and refuses bodies over the API limit itself', async () => {
    const first = await call('/');
    const second = await call('/');
    expect(first.status).toBe(200);
    expect(first.body).toContain('<html');
    expect(second.headers['x-cache']).toBe('HIT');
    expect((await call('/metrics')).status).toBe(404);
    const tooBig = await call('/v1/predict', 'POST', Buffer.alloc(11 * 1024 * 1024), {
      'content-type': 'image/jpeg',
    });
    expect(tooBig.status).toBe(413);
  });

  it('a replica killed mid-load costs no idempotent request (nor a prediction), and drops out', async () => {
    const statuses: { status: number; path: string }[] = [];
    let sent = 0;
    const killAt = 16;
    const worker = async () => {
      // Bounded: 40 requests per worker, 2 workers, loopback only.
      for (let i = 0; i < 40; i++) {
        if (++sent === killAt) await apis[0]!.kill();
        const path = i % 2 === 0 ? '/v1/models' : '/v1/predict';
        const answer =
          path === '/v1/models'
            ? await call(path)
            : await call(path, 'POST', photo, { 'content-type': 'image/webp' });
        statuses.push({ status: answer.status, path });
      }
    };
    await Promise.all([worker(), worker()]);
    expect(statuses).toHaveLength(80);
    expect(statuses.filter((s) => s.status !== 200)).toEqual([]);
    // The dead one answers nothing directly; through nginx, readiness now always comes from the survivor.
    expect(
      await fetch(`${apis[0]!.url}/readyz`).then(
        (r) => r.status,
        () => 'refused',
      ),
    ).toBe('refused');
    for (let i = 0; i < 6; i++) {
      const answer = await call('/readyz');
      expect(answer.status).toBe(200);
      expect(answer.headers['x-upstream']).toBe(apis[1]!.address);
    }
  });
});
