// Runs one inference engine in a worker thread. onnxruntime-node's run() is synchronous on the
// calling thread, so on the main thread it would stall HTTP parsing and decoding for every batch.
// Inputs arrive as decoded uint8 RGB (4× fewer bytes to move than float32) and are normalised
// here, per the bundle's preprocess spec, into one float32 batch.
import { parentPort } from 'node:worker_threads';
import type { PreprocessSpec } from '@plantid/core';
import { createEngine, type Engine, type EngineOptions, type EngineOutput } from '@plantid/engine';
import { normalizeInto } from '@plantid/preprocess/normalize';

export type WorkerEngineOptions = Omit<EngineOptions, 'model'> & { model: string };

export type ToWorker =
  | { type: 'init'; options: WorkerEngineOptions; spec: PreprocessSpec }
  | { type: 'predict'; id: number; batch: Float32Array | Uint8Array; n: number }
  | { type: 'dispose' };

export type FromWorker =
  | {
      type: 'ready';
      inputShape: number[];
      outputSize: number;
      outputs: EngineOutput[];
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
if (!port) throw new Error('engine-worker.ts runs as a worker thread (see worker-pool.ts)');

let engine: Engine | undefined;
let spec: PreprocessSpec | undefined;
/** Reused between batches of the same size: no 600 KB allocation per image. */
let floats = new Float32Array(0);

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

function toFloat(batch: Float32Array | Uint8Array, n: number): Float32Array {
  if (batch instanceof Float32Array) return batch;
  if (!spec) throw new Error('engine not initialised');
  const perImage = spec.size * spec.size * 3;
  if (batch.length !== n * perImage)
    throw new Error(`predict got ${batch.length} RGB values for n=${n}; expected ${n * perImage}`);
  if (floats.length !== batch.length) floats = new Float32Array(batch.length);
  for (let i = 0; i < n; i++)
    normalizeInto(batch.subarray(i * perImage, (i + 1) * perImage), spec, floats, i * perImage);
  return floats;
}

port.on('message', async (message: ToWorker) => {
  switch (message.type) {
    case 'init':
      try {
        spec = message.spec;
        engine = await createEngine(message.options);
        port.postMessage({
          type: 'ready',
          inputShape: [...engine.inputShape],
          outputSize: engine.outputSize,
          outputs: [...engine.outputs],
          description: engine.description,
        } satisfies FromWorker);
      } catch (error) {
        port.postMessage({ type: 'error', error: serialize(error) } satisfies FromWorker);
      }
      return;
    case 'predict':
      try {
        if (!engine) throw new Error('engine not initialised');
        const output = await engine.predict(toFloat(message.batch, message.n), message.n);
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
