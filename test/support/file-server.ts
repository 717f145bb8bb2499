import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FileServerOptions {
  /** Answer `path` with other bytes (the file reversed). */
  tamper?: (path: string) => boolean;
  /** Send half of the body for `path`, then drop the connection. */
  cut?: (path: string) => boolean;
  /** Ignore Range for `path`, like a server that always sends the whole file. */
  ignoreRange?: (path: string) => boolean;
}

export interface FileServer {
  /** `http://127.0.0.1:<port>`. */
  base: string;
  /** Every request: its URL path (decoded) and Range header. */
  requests: { path: string; range?: string }[];
  /** Body bytes written, over all requests. */
  sent: number;
  close(): Promise<void>;
}

/**
 * A loopback HTTP server for download tests: GET `<path>` answers `files(path)` (404 when undefined),
 * honours `Range: bytes=N-` (206, or 416 past the end), and can tamper with or cut an answer.
 */
export async function serveFiles(
  files: (path: string) => Promise<Uint8Array | undefined> | Uint8Array | undefined,
  options: FileServerOptions = {},
): Promise<FileServer> {
  const served: FileServer = { base: '', requests: [], sent: 0, close: async () => {} };
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    served.requests.push({
      path: decodeURIComponent(path),
      ...(req.headers.range ? { range: req.headers.range } : {}),
    });
    const found = await files(path);
    if (!found) return void res.writeHead(404).end();
    const bytes = options.tamper?.(path) ? Buffer.from(found).reverse() : Buffer.from(found);
    const asked = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = asked && !options.ignoreRange?.(path) ? Number(asked[1]) : 0;
    if (start > 0 && start >= bytes.length) {
      return void res.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end();
    }
    const body = bytes.subarray(start);
    res.writeHead(start > 0 ? 206 : 200, {
      'content-length': body.length,
      ...(start > 0 ? { 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` } : {}),
    });
    if (options.cut?.(path)) {
      const half = body.subarray(0, body.length >> 1);
      served.sent += half.length;
      res.write(half, () => setTimeout(() => res.socket?.destroy(), 50));
      return;
    }
    served.sent += body.length;
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  served.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  served.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return served;
}
