import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { zipSync } from 'fflate';
import { EXAMPLE_PINS } from '../src/example/locations.js';
import { readPins } from '../src/example/pins.js';
import { exampleSources, originUrl } from '../src/example/sources.js';

export interface ExampleOrigin {
  /** Stands in for https://raw.githubusercontent.com: give it as PLANTID_EXAMPLE_MIRROR. */
  base: string;
  /** Decoded URL paths asked for, in order. */
  requests: string[];
  /** URL paths answered with other bytes. */
  tampered: Set<string>;
  /** The URL path of the photo pinned at `path` (relative to the fetch dir). */
  urlPathOf(path: string): string;
  close(): Promise<void>;
}

/**
 * A loopback server laid out like the example's origins on raw.githubusercontent.com, serving a copy
 * laid out like ../shared: each photo at `/<repo>/<commit>/<path at the origin>`, and the backbone as
 * the Teachable Machine zip (made here from the copy's model files). It honours Range, and with
 * `cutEvery: n` drops every n-th connection halfway through the body.
 */
export async function serveExampleOrigin(
  copy: string,
  options: { cutEvery?: number } = {},
): Promise<ExampleOrigin> {
  const pins = await readPins(EXAMPLE_PINS);
  const files = new Map<string, () => Promise<Uint8Array>>();
  const byPin = new Map<string, string>();
  for (const source of exampleSources) {
    const mine = pins.filter((p) => p.path.startsWith(`${source.dir}/`));
    if (source.kind === 'zip') {
      const entries: Record<string, Uint8Array> = {};
      for (const pin of mine) entries[pin.path.split('/').at(-1)!] = await readFile(join(copy, pin.path));
      const zip = zipSync(entries);
      files.set(new URL(originUrl(source, source.path, 'http://x')).pathname, async () => zip);
      continue;
    }
    for (const pin of mine) {
      const below = relative(source.dir, pin.path);
      const name = pin.originName ?? below.split('/').at(-1)!;
      const urlPath = new URL(originUrl(source, `${source.path}/${below.split('/')[0]}/${name}`, 'http://x'))
        .pathname;
      files.set(urlPath, () => readFile(join(copy, pin.path)));
      byPin.set(pin.path, urlPath);
    }
  }
  const requests: string[] = [];
  const tampered = new Set<string>();
  let count = 0;
  const server: Server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(decodeURIComponent(path));
    const load = files.get(path);
    if (!load) return void res.writeHead(404).end();
    let bytes = Buffer.from(await load());
    if (tampered.has(path)) bytes = bytes.reverse();
    const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    const slice = bytes.subarray(start);
    res.writeHead(start > 0 ? 206 : 200, {
      'content-length': slice.length,
      ...(start > 0 ? { 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` } : {}),
    });
    if (options.cutEvery && ++count % options.cutEvery === 0) {
      res.write(slice.subarray(0, slice.length >> 1), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(slice);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    tampered,
    urlPathOf: (path) => byPin.get(path)!,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
