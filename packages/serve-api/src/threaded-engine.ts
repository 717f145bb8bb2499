import { Worker } from 'node:worker_threads';
import { UsageError, WorkError } from '@plantid/core';
import type { Engine, EngineOptions } from '@plantid/engine';
import type { FromWorker, SerializedError, ToWorker } from './engine-worker.js';

/** From TypeScript sources (tests, tsx) the worker needs the same loader and export conditions. */
const fromSource = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(fromSource ? './engine-worker.ts' : './engine-worker.js', import.meta.url);

/**
 * An Engine whose model runs in a worker thread: the same predict/dispose contract as
 * createEngine, with inputs and outputs moved (not copied) between threads.
 */
export async function createThreadedEngine(
  options: Omit<EngineOptions, 'model'> & { model: string },
): Promise<Engine> {
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
  worker.postMessage({ type: 'init', options } satisfies ToWorker);
  let meta: Extract<FromWorker, { type: 'ready' }>;
  try {
    meta = await ready;
  } catch (error) {
    await worker.terminate();
    throw error;
  }

  return {
    kind: options.kind,
    inputShape: meta.inputShape,
    outputSize: meta.outputSize,
    outputs: meta.outputs,
    available: meta.available,
    description: `${meta.description}, in a worker thread`,
    predict(batch, n) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      // Move the batch to the worker; copy first if it is a view into a larger buffer.
      const owned =
        batch.byteOffset === 0 && batch.byteLength === batch.buffer.byteLength ? batch : batch.slice();
      return new Promise<Float32Array>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ type: 'predict', id, batch: owned, n } satisfies ToWorker, [
          owned.buffer as ArrayBuffer,
        ]);
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
