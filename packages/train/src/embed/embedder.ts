import type { Logger } from '@plantid/core';
import { createEngine, type Engine } from '@plantid/engine';
import { layersModelToOnnx } from '@plantid/onnx-convert';
import type * as tf from '@tensorflow/tfjs';

export type EmbedderPreference = 'onnx' | 'tfjs';

/**
 * An inference engine for the frozen backbone: ONNX Runtime on the converted graph (fast), or
 * tfjs on wasm when conversion or ONNX Runtime fails. `outputLayer` cuts inside the model
 * (boundary activations for fine-tuning); without it the model's pooled output is used.
 * One ONNX Runtime thread by default: the other core decodes and augments the next images.
 */
export async function createBackboneEngine(
  model: tf.LayersModel,
  options: { prefer?: EmbedderPreference; outputLayer?: string; threads?: number; log?: Logger },
): Promise<Engine> {
  if ((options.prefer ?? 'onnx') === 'onnx') {
    try {
      const bytes = layersModelToOnnx(model, options.outputLayer ? { outputLayer: options.outputLayer } : {});
      return await createEngine({ kind: 'onnx', model: bytes, threads: options.threads ?? 1, maxBatch: 64 });
    } catch (error) {
      options.log?.warn(
        `ONNX Runtime unavailable for the backbone (${(error as Error).message.split('\n')[0]}); using tfjs wasm`,
      );
    }
  }
  if (options.outputLayer) {
    const tfjs = await import('@tensorflow/tfjs');
    const layer = model.getLayer(options.outputLayer);
    const cut = tfjs.model({ inputs: model.inputs, outputs: layer.inboundNodes[0]!.outputTensors[0]! });
    return createEngine({ kind: 'tfjs', model: cut, backend: 'wasm' });
  }
  return createEngine({ kind: 'tfjs', model, backend: 'wasm' });
}
