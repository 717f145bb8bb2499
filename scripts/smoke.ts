#!/usr/bin/env node
// The post-deploy smoke test: `node scripts/smoke.ts <base-url> --photo <file> --expect <label>`.
// Plain Node 24 (type stripping, fetch, FormData): no repository install needed, so it runs from a
// bare checkout in CD or on an operator's laptop. One line per check, exit 0 when all pass, 1 when
// one fails, 2 on bad usage. `--insecure` accepts a self-signed TLS certificate (staging).
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

interface Check {
  name: string;
  run: () => Promise<string>;
}

const usage =
  'usage: node scripts/smoke.ts <base-url> --photo <file> --expect <label id or name> [--timeout-ms 10000] [--wait-ready-s 0] [--insecure]';

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n${usage}\n`);
  process.exit(2);
}

const { values, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        photo: { type: 'string' },
        expect: { type: 'string' },
        'timeout-ms': { type: 'string', default: '10000' },
        'wait-ready-s': { type: 'string', default: '0' },
        insecure: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    return fail((error as Error).message);
  }
})();
const base = positionals[0]?.replace(/\/+$/, '');
if (!base || !/^https?:\/\//.test(base)) fail('give the API base URL, e.g. http://127.0.0.1:8080');
if (!values.photo || !values.expect) fail('--photo and --expect are required');
const timeoutMs = Number(values['timeout-ms']);
const waitReadyS = Number(values['wait-ready-s']);
if (!(timeoutMs > 0)) fail(`--timeout-ms ${values['timeout-ms']}: expected a positive number`);
if (!(waitReadyS >= 0)) fail(`--wait-ready-s ${values['wait-ready-s']}: expected a number ≥ 0`);
if (values.insecure) process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
const photo = await readFile(values.photo).catch((error: NodeJS.ErrnoException) =>
  fail(`--photo ${values.photo}: ${error.code ?? error.message}`),
);
const expected = values.expect;

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}

async function json(response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`HTTP ${response.status}, not JSON: ${text.slice(0, 80)}`);
  }
}

function upload(bytes: Uint8Array<ArrayBuffer>, filename: string): FormData {
  const form = new FormData();
  form.append('image', new Blob([bytes]), filename);
  return form;
}

const checks: Check[] = [
  {
    name: 'healthz',
    run: async () => {
      const response = await call('/healthz');
      if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
      return `${(await json(response)).status}`;
    },
  },
  {
    name: 'readyz',
    run: async () => {
      const deadline = Date.now() + waitReadyS * 1000;
      for (;;) {
        const response = await call('/readyz');
        const body = await json(response);
        const model = body.model as { name?: string; version?: string } | null;
        if (response.status === 200) return `ready, model ${model?.name}@${model?.version}`;
        if (Date.now() >= deadline) throw new Error(`HTTP ${response.status} (${body.status})`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    },
  },
  {
    name: 'predict a real photo',
    run: async () => {
      const response = await call('/v1/predict', { method: 'POST', body: upload(photo, values.photo!) });
      const body = await json(response);
      if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${JSON.stringify(body)}`);
      const top = (body.predictions as { label: string; name: string; confidence: number }[])[0];
      if (!top) throw new Error('no predictions');
      const got = `${top.label} (${top.name}, ${top.confidence.toFixed(3)})`;
      if (top.label !== expected && top.name !== expected)
        throw new Error(`top-1 ${got}, expected ${expected}`);
      return `top-1 ${got}`;
    },
  },
  {
    name: 'garbage upload is refused',
    run: async () => {
      const garbage = new TextEncoder().encode('this is not a photo '.repeat(50));
      const response = await call('/v1/predict', { method: 'POST', body: upload(garbage, 'garbage.jpg') });
      const body = await json(response);
      if (response.status < 400 || response.status >= 500)
        throw new Error(`HTTP ${response.status}, expected a 4xx`);
      return `HTTP ${response.status} ${body.code ?? ''}`.trim();
    },
  },
  {
    name: 'metrics',
    run: async () => {
      const response = await call('/metrics');
      const text = await response.text();
      if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
      const counter = text.split('\n').find((l) => l.startsWith('plantid_http_requests_total{'));
      if (!counter) throw new Error('no plantid_http_requests_total sample');
      return `${text.split('\n').filter((l) => l.startsWith('plantid_http_requests_total{')).length} request counter series`;
    },
  },
  {
    name: 'openapi',
    run: async () => {
      const response = await call('/openapi.json');
      const body = await json(response);
      if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
      const paths = Object.keys((body.paths as Record<string, unknown> | undefined) ?? {});
      if (!String(body.openapi).startsWith('3.') || !paths.includes('/v1/predict'))
        throw new Error(`openapi ${body.openapi}, paths ${paths.join(' ')}`);
      return `OpenAPI ${body.openapi}, ${paths.length} paths`;
    },
  },
];

let failed = 0;
for (const check of checks) {
  const started = performance.now();
  try {
    const detail = await check.run();
    process.stdout.write(`ok   ${check.name}: ${detail} (${Math.round(performance.now() - started)} ms)\n`);
  } catch (error) {
    failed++;
    const e = error as Error & { cause?: { code?: string } };
    process.stdout.write(`FAIL ${check.name}: ${e.cause?.code ?? e.message}\n`);
  }
}
process.stdout.write(
  failed === 0
    ? `smoke ${base}: all ${checks.length} checks pass\n`
    : `smoke ${base}: ${failed} of ${checks.length} checks FAILED\n`,
);
process.exitCode = failed === 0 ? 0 : 1;
