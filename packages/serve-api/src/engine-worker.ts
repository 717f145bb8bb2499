// Runs one inference engine in a worker thread. onnxruntime-node's run() is synchronous on the
// calling thread, so on the main thread it would stall HTTP parsing and decoding for every batch.
import { parentPort } from 'node:worker_threads';
import { createEngine, type Engine, type EngineOptions, type EngineOutput } from '@plantid/engine';

export type ToWorker =
  | { type: 'init'; options: Omit<EngineOptions, 'model'> & { model: string } }
  | { type: 'predict'; id: number; batch: Float32Array; n: number }
  | { type: 'dispose' };

export type FromWorker =
  | {
      type: 'ready';
      inputShape: number[];
      outputSize: number;
      outputs: EngineOutput[];
      available: EngineOutput[];
      description: string;
    }
  | { type: 'result'; id: number; output: Float32Array }
  | { type: 'error'; id?: number; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  exitCode?: number;
  where?: string;
  hint?: string;
}

const port = parentPort;
if (!port) throw new Error('engine-worker.ts runs as a worker thread (see threaded-engine.ts)');

let engine: Engine | undefined;

const serialize = (error: unknown): SerializedError => {
  const e = error as Partial<SerializedError> & { name?: string; message?: string };
  return {
    name: e.name ?? 'Error',
    message: e.message ?? String(error),
    exitCode: e.exitCode,
    where: e.where,
    hint: e.hint,
  };
};

port.on('message', async (message: ToWorker) => {
  switch (message.type) {
    case 'init':
      try {
        engine = await createEngine(message.options);
        port.postMessage({
          type: 'ready',
          inputShape: [...engine.inputShape],
          outputSize: engine.outputSize,
          outputs: [...engine.outputs],
          available: [...engine.available],
          description: engine.description,
        } satisfies FromWorker);
      } catch (error) {
        port.postMessage({ type: 'error', error: serialize(error) } satisfies FromWorker);
      }
      return;
    case 'predict':
      try {
        if (!engine) throw new Error('engine not initialised');
        const output = await engine.predict(message.batch, message.n);
        const owned =
          output.byteOffset === 0 && output.byteLength === output.buffer.byteLength ? output : output.slice();
        port.postMessage({ type: 'result', id: message.id, output: owned } satisfies FromWorker, [
          owned.buffer as ArrayBuffer,
        ]);
      } catch (error) {
        port.postMessage({ type: 'error', id: message.id, error: serialize(error) } satisfies FromWorker);
      }
      return;
    case 'dispose':
      await engine?.dispose();
      port.close();
      return;
  }
});
