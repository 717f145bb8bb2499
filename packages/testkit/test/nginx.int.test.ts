import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { processGroupMembers, startNginx } from '../src/index.js';

async function backend(name: string): Promise<{ server: Server; address: string }> {
  const server = createServer(async (request, response) => {
    let bytes = 0;
    for await (const chunk of request) bytes += (chunk as Buffer).length;
    response.setHeader('content-type', 'text/plain');
    response.end(`${name} ${request.headers['x-forwarded-for'] ?? '-'} ${bytes}`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  return { server, address: `127.0.0.1:${address.port}` };
}

describe('startNginx', () => {
  const backends: Server[] = [];
  afterAll(() => {
    for (const server of backends) server.close();
  });

  it('proxies round robin to two upstreams, skips a dead one, stops with no process left', async () => {
    const a = await backend('a');
    const b = await backend('b');
    backends.push(a.server, b.server);
    const nginx = await startNginx({ upstreams: [a.address, b.address] });
    try {
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await (await fetch(`${nginx.url}/x`)).text());
      expect(answers.map((answer) => answer.split(' ')[0]).sort()).toEqual(['a', 'a', 'b', 'b']);
      expect(answers[0]).toContain('127.0.0.1');
      // A body larger than nginx's buffer goes through a temp file the (unprivileged) worker writes in dir.
      const upload = await fetch(`${nginx.url}/upload`, { method: 'POST', body: new Uint8Array(512 * 1024) });
      expect(upload.status).toBe(200);
      expect(await upload.text()).toMatch(/ 524288$/);

      a.server.close();
      a.server.closeAllConnections();
      for (let i = 0; i < 4; i++) {
        const response = await fetch(`${nginx.url}/x`);
        expect(response.status).toBe(200);
        expect(await response.text()).toMatch(/^b /);
      }
    } finally {
      await nginx.stop();
    }
    expect(processGroupMembers(nginx.pid)).toEqual([]);
    expect(existsSync(nginx.dir)).toBe(false);
    await expect(fetch(nginx.url)).rejects.toThrow();
  });

  it('serves a config of its own with the port it is given', async () => {
    const nginx = await startNginx({
      config: ({ port }) => `server { listen 127.0.0.1:${port}; location /healthz { return 200 "ok\\n"; } }`,
    });
    try {
      const response = await fetch(`${nginx.url}/healthz`);
      expect(await response.text()).toBe('ok\n');
      expect(await nginx.logs()).not.toMatch(/\[emerg\]/);
    } finally {
      await nginx.stop();
    }
    expect(processGroupMembers(nginx.pid)).toEqual([]);
  });
});
