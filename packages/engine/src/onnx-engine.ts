import { cpuBudget, UsageError } from '@plantid/core';
import * as ort from 'onnxruntime-node';
import { predictInSlices } from './check-batch.js';
import type { Engine, EngineOptions, EngineOutput } from './engine.js';
import { interleaveOutputs, selectOutputs } from './outputs.js';

function staticDims(
  meta: ort.InferenceSession.ValueMetadata | undefined,
  what: string,
  model: string,
): number[] {
  if (!meta?.isTensor) throw new UsageError(`the model's ${what} is not a tensor`, { where: model });
  const dims = meta.shape.slice(1);
  if (dims.some((d) => typeof d !== 'number' || d < 1)) {
    throw new UsageError(
      `the model's ${what} shape [${meta.shape.join(', ')}] must be fixed except the batch dimension`,
      { where: model },
    );
  }
  return dims as number[];
}

/**
 * Session options tuned for CPU inference of a small convnet. Intra-op threads do not spin
 * between operators: spinning halves the wait for the next layer on an idle machine but burns
 * a core that image decoding (or another session) needs under load (measured: 2 spinning
 * threads cost 8–10 ms CPU per image against 4.4–4.8 ms without).
 */
export function sessionOptions(threads: number | undefined): ort.InferenceSession.SessionOptions {
  const intra = threads && threads > 0 ? threads : cpuBudget().cpus;
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: intra,
    interOpNumThreads: 1,
    enableCpuMemArena: true,
    enableMemPattern: true,
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}

export async function createOnnxEngine(options: EngineOptions): Promise<Engine> {
  const { model } = options;
  if (typeof model !== 'string' && !(model instanceof Uint8Array)) {
    throw new UsageError('the onnx engine needs a .onnx path or bytes, not a tfjs model', {
      where: 'engine.model',
    });
  }
  const where = typeof model === 'string' ? model : '<onnx bytes>';
  const opts = sessionOptions(options.threads);
  const session = await (typeof model === 'string'
    ? ort.InferenceSession.create(model, opts)
    : ort.InferenceSession.create(model, opts)
  ).catch((cause: Error) => {
    throw new UsageError(`ONNX Runtime cannot load the model: ${cause.message.split('\n')[0]}`, {
      where,
      hint: 'check the path, or export the model again',
      cause,
    });
  });
  const inputName = session.inputNames[0] as string;
  const inputShape = staticDims(session.inputMetadata[0], 'input', where);
  const available: EngineOutput[] = session.outputNames.map((name, i) => ({
    name,
    size: staticDims(session.outputMetadata[i], `output "${name}"`, where).reduce((a, b) => a * b, 1),
  }));
  const outputs = selectOutputs(available, options.outputs, where);
  const outputSize = outputs.reduce((s, o) => s + o.size, 0);
  const fetches = outputs.map((o) => o.name);
  const maxBatch = options.maxBatch ?? 64;

  const run = async (batch: Float32Array, n: number): Promise<Float32Array> => {
    const input = new ort.Tensor('float32', batch, [n, ...inputShape]);
    const result = await session.run({ [inputName]: input }, fetches);
    const parts = fetches.map((name) => {
      const out = result[name] as ort.Tensor;
      const data = out.data as Float32Array;
      out.dispose();
      return data;
    });
    return interleaveOutputs(parts, outputs, n);
  };

  const engine: Engine = {
    kind: 'onnx',
    inputShape,
    outputSize,
    outputs,
    available,
    description: `onnxruntime-node ${ort.env.versions.common} cpu (${opts.intraOpNumThreads} threads)`,
    predict: (batch, n) => predictInSlices(batch, n, { inputShape, outputSize, maxBatch }, run),
    async dispose() {
      await session.release();
    },
  };
  if (options.warmUp !== false)
    await engine.predict(new Float32Array(inputShape.reduce((a, b) => a * b, 1)), 1);
  return engine;
}
