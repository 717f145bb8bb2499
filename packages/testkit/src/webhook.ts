import { once } from 'node:events';
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>/hook` */
  readonly url: string;
  /** Every JSON body POSTed so far, in order. */
  readonly received: unknown[];
  /** The first body (already received or arriving within `timeoutMs`) that `match` accepts. */
  waitFor<T = unknown>(match: (body: T) => boolean, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/** An HTTP endpoint on a free loopback port that records JSON POSTs (e.g. Alertmanager's webhook). */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: unknown[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    try {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      response.statusCode = 200;
    } catch {
      response.statusCode = 400;
    }
    response.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('webhook receiver: no address');
  const waitFor = async <T>(match: (body: T) => boolean, timeoutMs = 30_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (received as T[]).find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline) {
        throw new Error(`no matching webhook within ${timeoutMs / 1000} s; got ${JSON.stringify(received)}`);
      }
      await sleep(100);
    }
  };
  const close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return { url: `http://127.0.0.1:${address.port}/hook`, received, waitFor, close };
}
