import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { zipSync } from 'fflate';
import { serveFiles } from '../../../test/support/file-server.js';
import { EXAMPLE_PINS } from '../src/example/locations.js';
import { readPins } from '../src/example/pins.js';
import { exampleSources, originUrl } from '../src/example/sources.js';

export interface ExampleOrigin {
  /** Stands in for https://raw.githubusercontent.com: give it as PLANTID_EXAMPLE_MIRROR. */
  base: string;
  /** Decoded URL paths asked for, in order. */
  readonly requests: string[];
  clearRequests(): void;
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
  const tampered = new Set<string>();
  let count = 0;
  const server = await serveFiles((path) => files.get(path)?.(), {
    tamper: (path) => tampered.has(path),
    cut: () => Boolean(options.cutEvery) && ++count % options.cutEvery! === 0,
  });
  return {
    base: server.base,
    get requests() {
      return server.requests.map((r) => r.path);
    },
    clearRequests: () => {
      server.requests.length = 0;
    },
    tampered,
    urlPathOf: (path) => byPin.get(path)!,
    close: server.close,
  };
}
