import { Worker } from 'node:worker_threads';
import { type PreprocessSpec, UsageError, WorkError } from '@plantid/core';
import type { ModelInput } from './batcher.js';
import type { FromWorker, SerializedError, ToWorker, WorkerEngineOptions } from './engine-worker.js';
import type { ModelRunner } from './model-runner.js';

/** From TypeScript sources (tests, tsx) the worker needs the same loader and export conditions. */
const fromSource = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(fromSource ? './engine-worker.ts' : './engine-worker.js', import.meta.url);

interface EngineThread {
  worker: Worker;
  busy: boolean;
  meta: Extract<FromWorker, { type: 'ready' }>;
  predict(batch: ModelInput, n: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/**
 * `workers` inference worker threads, each with its own engine (ONNX Runtime session with
 * `options.threads` intra-op threads): on a 2-CPU budget two single-threaded sessions run two
 * batches at once, which beats one session splitting every operator over two threads (no
 * barrier per layer, no spinning threads stealing the decoder's core). Inputs are moved, not copied.
 */
export async function createWorkerPool(
  options: WorkerEngineOptions,
  spec: PreprocessSpec,
  workers: number,
): Promise<ModelRunner> {
  const started = await Promise.allSettled(Array.from({ length: workers }, () => startThread(options, spec)));
  const threads = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(threads.map((t) => t.dispose()));
    throw failed.reason;
  }
  const waiting: ((thread: EngineThread) => void)[] = [];
  const release = (thread: EngineThread) => {
    const next = waiting.shift();
    if (next) next(thread);
    else thread.busy = false;
  };
  const acquire = (): Promise<EngineThread> => {
    const idle = threads.find((t) => !t.busy);
    if (idle) {
      idle.busy = true;
      return Promise.resolve(idle);
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const meta = threads[0]!.meta;
  return {
    inputShape: meta.inputShape,
    outputSize: meta.outputSize,
    outputs: meta.outputs,
    description: `${meta.description}, ${workers} worker thread${workers === 1 ? '' : 's'}`,
    concurrency: workers,
    async run(batch, n) {
      const thread = await acquire();
      try {
        return await thread.predict(batch, n);
      } finally {
        release(thread);
      }
    },
    async dispose() {
      await Promise.all(threads.map((t) => t.dispose()));
    },
  };
}

async function startThread(options: WorkerEngineOptions, spec: PreprocessSpec): Promise<EngineThread> {
  const worker = new Worker(WORKER_URL, {
    execArgv: fromSource ? ['--conditions=@plantid/source', '--import', 'tsx'] : [],
    name: 'plantid-engine',
  });
  const pending = new Map<number, { resolve: (o: Float32Array) => void; reject: (e: unknown) => void }>();
  let nextId = 0;
  let failure: Error | undefined;

  const ready = new Promise<Extract<FromWorker, { type: 'ready' }>>((resolve, reject) => {
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'ready') return resolve(message);
      if (message.type === 'error' && message.id === undefined) return reject(revive(message.error));
      const call = message.id === undefined ? undefined : pending.get(message.id);
      if (!call || message.id === undefined) return;
      pending.delete(message.id);
      if (message.type === 'result') call.resolve(message.output);
      else if (message.type === 'error') call.reject(revive(message.error));
    });
    const fail = (error: Error) => {
      failure = error;
      reject(error);
      for (const call of pending.values()) call.reject(error);
      pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new WorkError(`the inference worker stopped (exit code ${code})`)));
  });
  worker.postMessage({ type: 'init', options, spec } satisfies ToWorker);
  let meta: Extract<FromWorker, { type: 'ready' }>;
  try {
    meta = await ready;
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  return {
    worker,
    busy: false,
    meta,
    predict(batch, n) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      // A view into a larger buffer is copied first: cloning it would copy the whole buffer.
      const owned =
        batch.byteOffset === 0 && batch.byteLength === batch.buffer.byteLength ? batch : batch.slice();
      const message = { type: 'predict', id, batch: owned, n } satisfies ToWorker;
      return new Promise<Float32Array>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        try {
          worker.postMessage(message, [owned.buffer as ArrayBuffer]);
        } catch (error) {
          // sharp's output lives in native memory that cannot be moved: it is copied instead.
          if ((error as Error).name !== 'DataCloneError') {
            pending.delete(id);
            throw error;
          }
          worker.postMessage(message);
        }
      });
    },
    async dispose() {
      if (failure) return;
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.postMessage({ type: 'dispose' } satisfies ToWorker);
      await exited;
    },
  };
}

function revive(error: SerializedError): Error {
  const options = { where: error.where, hint: error.hint };
  if (error.exitCode === 2) return new UsageError(error.message, options);
  if (error.exitCode === 1) return new WorkError(error.message, options);
  return Object.assign(new Error(error.message), { name: error.name });
}
