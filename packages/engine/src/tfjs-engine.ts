import { UsageError } from '@plantid/core';
import * as tf from '@tensorflow/tfjs';
import { initTfjsBackend } from './backend.js';
import { predictInSlices } from './check-batch.js';
import type { Engine, EngineOptions, EngineOutput } from './engine.js';
import { loadLayersModel } from './io/layers-model-io.js';
import { selectOutputs } from './outputs.js';

export async function createTfjsEngine(options: EngineOptions): Promise<Engine> {
  const backend = await initTfjsBackend(options.backend);
  const { model: source } = options;
  if (source instanceof Uint8Array)
    throw new UsageError('the tfjs engine needs a model.json path or a LayersModel, not ONNX bytes', {
      where: 'engine.model',
    });
  const model = typeof source === 'string' ? await loadLayersModel(source) : source;
  const ownsModel = typeof source === 'string';
  const input = model.inputs[0];
  const output = model.outputs[0];
  if (model.inputs.length !== 1 || model.outputs.length !== 1 || !input || !output) {
    throw new UsageError(
      `the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; the engine needs one of each`,
      {
        where: typeof source === 'string' ? source : model.name,
      },
    );
  }
  const dims = (shape: (number | null)[], what: string): number[] => {
    const rest = shape.slice(1);
    if (rest.some((d) => d == null))
      throw new UsageError(
        `the model's ${what} shape [${shape.join(', ')}] must be fixed except the batch dimension`,
        { where: model.name },
      );
    return rest as number[];
  };
  const inputShape = dims(input.shape, 'input');
  const available: EngineOutput[] = [
    { name: model.outputNames[0] ?? 'output', size: dims(output.shape, 'output').reduce((a, b) => a * b, 1) },
  ];
  const outputs = selectOutputs(available, options.outputs, typeof source === 'string' ? source : model.name);
  const outputSize = available[0]!.size;
  const maxBatch = options.maxBatch ?? 32;

  const run = async (batch: Float32Array, n: number): Promise<Float32Array> => {
    // Several engines may share the process on different backends: make ours current.
    if (tf.getBackend() !== backend) await tf.setBackend(backend);
    const y = tf.tidy(() => model.predict(tf.tensor(batch, [n, ...inputShape])) as tf.Tensor);
    try {
      return (await y.data()) as Float32Array;
    } finally {
      y.dispose();
    }
  };

  const engine: Engine = {
    kind: 'tfjs',
    inputShape,
    outputSize,
    outputs,
    available,
    description: `tfjs ${tf.version.tfjs} ${backend}`,
    predict: (batch, n) => predictInSlices(batch, n, { inputShape, outputSize, maxBatch }, run),
    async dispose() {
      if (ownsModel) model.dispose();
    },
  };
  if (options.warmUp !== false)
    await engine.predict(new Float32Array(inputShape.reduce((a, b) => a * b, 1)), 1);
  return engine;
}
