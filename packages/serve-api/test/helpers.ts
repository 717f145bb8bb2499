import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { readBundle } from '@plantid/bundle';
import { createEngine, type Engine } from '@plantid/engine';
import { preprocessImage } from '@plantid/preprocess';
import { type RunningServer, resolveServeSettings, type ServeSettings, startServer } from '../src/index.js';
import { calibrate, type Prediction, topK } from '../src/predictions.js';
import { type TestBundle, testBundle } from './fixtures/bundle.js';

export interface TestServer extends RunningServer {
  settings: ServeSettings;
  bundle: TestBundle;
  /** Every log line the server wrote, parsed. */
  logs: Record<string, unknown>[];
}

/** A real server on a free loopback port, serving the fixture bundle; `overrides` tweak the settings. */
export async function startTestServer(overrides: Partial<ServeSettings> = {}): Promise<TestServer> {
  const bundle = await testBundle();
  const work = await mkdtemp(join(tmpdir(), 'plantid-serve-'));
  const settings: ServeSettings = {
    ...resolveServeSettings({ env: {}, cwd: work, flags: { bundle: bundle.dir, port: 0 } }),
    registryDir: bundle.registryDir,
    warmup: 1,
    rateLimit: { max: 0, windowMs: 60_000 },
    ...overrides,
  };
  const { lines: logs, stream } = logCollector();
  const server = await startServer(settings, { logger: { level: 'info', stream } });
  return Object.assign(server, { settings, bundle, logs });
}

/** A pino destination that keeps every JSON log line, parsed. */
export function logCollector(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

/** What the API must answer for `bytes`: preprocessImage + ONNX Runtime + calibration in-process, no HTTP, no batching. */
export class DirectPredictor {
  private constructor(
    private readonly engine: Engine,
    private readonly bundle: Awaited<ReturnType<typeof readBundle>>,
  ) {}

  static async open(dir: string): Promise<DirectPredictor> {
    const bundle = await readBundle(dir);
    return new DirectPredictor(
      await createEngine({ kind: 'onnx', model: bundle.modelPath('fp32'), warmUp: false }),
      bundle,
    );
  }

  async predict(bytes: Uint8Array, k = 3): Promise<Prediction[]> {
    const tensor = await preprocessImage(bytes, this.bundle.preprocess);
    const probs = await this.engine.predict(tensor, 1);
    return topK(
      calibrate(probs, this.bundle.temperature === 1 ? null : this.bundle.temperature),
      this.bundle.labels,
      k,
    );
  }

  dispose(): Promise<void> {
    return this.engine.dispose();
  }
}

export function multipart(fields: Record<string, Uint8Array | string>, filename = 'leaf.jpg'): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string') form.append(name, value);
    else form.append(name, new Blob([value]), filename);
  }
  return form;
}

export async function readPhotos(paths: string[]): Promise<Buffer[]> {
  return Promise.all(paths.map((p) => readFile(p)));
}

/** Runs `tasks` with at most `concurrency` in flight; results in input order. */
export async function pool<T>(tasks: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** Predictions from two paths agree: same labels in the same order, confidences within float noise of batching. */
export function sameAnswer(a: Prediction[], b: Prediction[]): boolean {
  return (
    a.length === b.length &&
    a.every((p, i) => p.label === b[i]!.label && Math.abs(p.confidence - b[i]!.confidence) < 1e-4)
  );
}
